// The consent pages of the OAuth apps answer "Allow" with a 302 to the client (or the upstream
// IdP). Chromium applies CSP `form-action` to that redirect, so a page that keeps the default
// `'self'` can never complete the flow. This drives real Chromium through a form POST and a
// cross-origin 302, with and without the widened directive.
import { launchChromium, serveOnLoopback, type LoopbackServer } from "@mcp-auth/dev-harness";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pageHeaders } from "../src/pages/html.ts";

let browser: Browser;
let client: LoopbackServer;
let consent: LoopbackServer;
let clientOrigin = "";
let consentOrigin = "";
const landed: string[] = [];

beforeAll(async () => {
  // The "client": where the redirect after Allow leads.
  client = await serveOnLoopback((req, res) => {
    landed.push(req.url ?? "");
    res.writeHead(200, { "content-type": "text/plain" }).end("landed");
  });
  clientOrigin = client.origin;
  // The "authorization server": a consent page whose form POSTs to itself and answers 302.
  consent = await serveOnLoopback((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (req.method === "POST" && url.pathname === "/allow") {
      res.writeHead(302, { location: `${clientOrigin}/callback?code=c1` }).end();
      return;
    }
    const widen = url.searchParams.has("widen");
    const headers = Object.fromEntries(pageHeaders(widen ? { formAction: [`${clientOrigin}/callback`] } : {}));
    res.writeHead(200, headers).end('<!doctype html><form method="post" action="/allow"><button>Allow</button></form>');
  });
  consentOrigin = consent.origin;
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser.close();
  await Promise.all([client.stop(), consent.stop()]);
});

describe("pageHeaders form-action in Chromium", { timeout: 30_000 }, () => {
  it("a widened page's form POST follows the 302 to the validated client origin", async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${consentOrigin}/consent?widen`);
      await Promise.all([page.waitForURL(`${clientOrigin}/callback?code=c1`), page.click("button")]);
      expect(await page.textContent("body")).toBe("landed");
      expect(landed).toContain("/callback?code=c1");
    } finally {
      await page.close();
    }
  });

  it("with the default form-action 'self' the same redirect is blocked and the client is never reached", async () => {
    landed.length = 0;
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") violations.push(message.text());
    });
    try {
      await page.goto(`${consentOrigin}/consent`);
      await page.click("button");
      // Chromium logs the violation when it blocks the submission: once it is logged, the
      // navigation can no longer happen (waiting for the event, not a fixed time, holds on a busy machine).
      for (const until = Date.now() + 20_000; !violations.some((line) => /form-action/.test(line));) {
        if (Date.now() > until) break;
        await page.waitForTimeout(100);
      }
      expect(page.url().startsWith(clientOrigin)).toBe(false);
      expect(landed).toEqual([]);
      expect(violations.join("\n")).toMatch(/form-action/);
    } finally {
      await page.close();
    }
  });
});

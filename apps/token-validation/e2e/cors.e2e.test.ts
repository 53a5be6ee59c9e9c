import { launchChromium, serveOnLoopback, type LoopbackServer } from "@mcp-auth/dev-harness";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { hs256Token } from "./helpers.ts";

// A browser client on an allowed origin (loopback, like the MCP Inspector's web UI) calls /mcp
// cross-origin: Chromium sends the preflight, then the request, and the page must be able to
// read the answer — the 401 challenge included.
let browser: Browser;
let page: Page;
let site: LoopbackServer;

beforeAll(async () => {
  site = await serveOnLoopback((_req, res) =>
    res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><p>client</p>"),
  );
  browser = await launchChromium();
  page = await browser.newPage();
  // `localhost` is another origin than the Worker's `127.0.0.1:<port>`, and an allowed hostname.
  await page.goto(`http://localhost:${site.port}/`);
}, 60_000);

afterAll(async () => {
  await browser.close();
  await site.stop();
});

interface Seen {
  status: number;
  challenge: string | null;
  body: string;
}

function callMcp(authorization: string | undefined): Promise<Seen> {
  return page.evaluate(
    async ({ url, authorization }) => {
      const response = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "mcp-protocol-version": "2025-06-18",
          ...(authorization === undefined ? {} : { authorization }),
        },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "tools/call",
          params: { name: "echo", arguments: { text: "from a browser" } },
        }),
      });
      return {
        status: response.status,
        challenge: response.headers.get("www-authenticate"),
        body: await response.text(),
      };
    },
    { url: `${inject("keys").origin}/mcp`, authorization },
  );
}

describe("a browser client on an allowed origin", { timeout: 60_000 }, () => {
  it("reads the 401 challenge of a call without a credential", async () => {
    const seen = await callMcp(undefined);
    expect(seen.status).toBe(401);
    expect(seen.challenge).toBe("Bearer");
  });

  it("passes the preflight with a bearer token and reads the tool result", async () => {
    const seen = await callMcp(`Bearer ${await hs256Token()}`);
    expect(seen.status).toBe(200);
    expect(seen.body).toContain("from a browser");
  });

  it("reads the invalid_token challenge of a bad token", async () => {
    const seen = await callMcp("Bearer not-a-valid-token");
    expect(seen.status).toBe(401);
    expect(seen.challenge).toMatch(/^Bearer error="invalid_token"/);
  });
});

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, openPage } from "../src/browser.ts";
import { serveOnLoopback } from "../src/loopback-server.ts";

const PAGES: Record<string, string> = {
  "/clean": '<!doctype html><link rel="icon" href="data:,"><title>clean</title><p>fine</p>',
  // No icon link: Chromium asks the origin for /favicon.ico.
  "/callback": "<!doctype html><title>callback</title><p>client received the callback</p>",
  "/noisy":
    '<!doctype html><link rel="icon" href="data:,"><title>noisy</title>' +
    "<script>console.error('logged problem'); throw new Error('thrown problem')</script>",
};
const server = createServer((req, res) => {
  const page = PAGES[req.url ?? ""];
  res.writeHead(page === undefined ? 404 : 200, { "content-type": "text/html" }).end(page ?? "");
});
let origin = "";
let browser: Browser;
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
});
afterAll(async () => {
  await browser.close();
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
});

describe("openPage in headless Chromium", () => {
  it("a clean page: its response, no problems", async () => {
    const { page, response, problems } = await openPage(browser, `${origin}/clean`);
    expect(response?.status()).toBe(200);
    expect(await page.title()).toBe("clean");
    expect(problems).toEqual([]);
  });

  it("collects console errors and uncaught exceptions", async () => {
    const { problems } = await openPage(browser, `${origin}/noisy`);
    expect(problems).toEqual(["logged problem", "thrown problem"]);
  });
});

describe("serveOnLoopback: the favicon Chromium asks every origin for", () => {
  it("the control: a page from a server that answers 404 to the rest gets a console error for /favicon.ico", async () => {
    // The raw server above is a redirect catcher's shape: its own paths, 404 for anything else.
    const page = await browser.newPage();
    // Waits for the error itself, not for a while: it comes after the page has loaded.
    const logged = page.waitForEvent("console", (message) => message.type() === "error");
    await page.goto(`${origin}/callback`);
    expect((await logged).text()).toBe(
      "Failed to load resource: the server responded with a status of 404 (Not Found)",
    );
    await page.close();
  });

  it("answers GET /favicon.ico itself (204, no body) and never passes it to the handler", async () => {
    const asked: string[] = [];
    const catcher = await serveOnLoopback((request, response) => {
      asked.push(request.url ?? "");
      response.writeHead(404).end();
    });
    try {
      const favicon = await fetch(`${catcher.origin}/favicon.ico`);
      expect(favicon.status).toBe(204);
      expect(await favicon.text()).toBe("");
      const other = await fetch(`${catcher.origin}/favicon.png`);
      expect(other.status).toBe(404);
      expect(asked).toEqual(["/favicon.png"]);
    } finally {
      await catcher.stop();
    }
  });
});

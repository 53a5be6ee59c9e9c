import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, openPage } from "../src/browser.ts";

const PAGES: Record<string, string> = {
  "/clean": '<!doctype html><link rel="icon" href="data:,"><title>clean</title><p>fine</p>',
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

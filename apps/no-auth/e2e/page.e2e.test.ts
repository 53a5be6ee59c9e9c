import { launchChromium, openPage } from "@mcp-auth/dev-harness";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";

describe("GET / in a real browser", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser.close();
  });

  it("renders the pattern, its risks and a config per client, with no errors", async () => {
    const { page, response, problems } = await openPage(browser, `${inject("origin")}/`);
    expect(response?.status()).toBe(200);
    await expect(page.title()).resolves.toBe("No authentication — MCP auth patterns");
    const headings = await page.locator("h2").allTextContents();
    expect(headings).toEqual([
      "How a caller proves who it is",
      "Risks and what this app does about them",
      "Tools",
      "Connect a client",
      "Configuration of this deployment",
    ]);
    const clients = await page.locator("h3").allTextContents();
    expect(clients.map((text) => text.split(" — ")[0])).toEqual([
      "Claude Code",
      "Claude Desktop",
      "Cursor",
      "VS Code",
      "MCP Inspector",
      "mcp-remote",
    ]);
    const cursor = JSON.parse(await page.locator("pre").nth(2).innerText()) as {
      mcpServers: Record<string, { url: string }>;
    };
    expect(cursor.mcpServers["no-auth"]?.url).toBe(`${inject("origin")}/mcp`);
    await page.screenshot({ path: "test-results/no-auth-page.png", fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it("cannot be framed by another site, while a control frame on the same page loads", async () => {
    const target = `${inject("origin")}/`;
    // Another site on loopback (a public origin would be stopped by Chromium's local-network
    // protection before frame-ancestors is ever consulted): a frameable control and the Worker's page.
    const embedder = createServer((request, response) => {
      response.writeHead(200, { "content-type": "text/html" });
      response.end(
        request.url === "/control"
          ? "<p>control frame loaded</p>"
          : `<iframe name="control" src="/control"></iframe><iframe name="target" src="${target}"></iframe>`,
      );
    });
    await new Promise<void>((resolve) => embedder.listen(0, "127.0.0.1", resolve));
    const { port } = embedder.address() as AddressInfo;
    const page = await browser.newPage();
    try {
      const consoleErrors: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") consoleErrors.push(message.text());
      });
      const answered = page.waitForResponse(target);
      await page.goto(`http://127.0.0.1:${port}/`, { waitUntil: "load" });
      // Frames load on this page: the control shows its content…
      await expect(page.frame({ name: "control" })?.locator("p").innerText()).resolves.toBe("control frame loaded");
      // …and the Worker answered the framed request with its page…
      const response = await answered;
      expect(response.status()).toBe(200);
      // …which Chromium refused to render, saying why.
      await expect
        .poll(() => consoleErrors)
        .toContainEqual(
          expect.stringContaining(
            `Framing '${target}' violates the following Content Security Policy directive: "frame-ancestors 'none'"`,
          ),
        );
      const framed = page.frame({ name: "target" });
      expect(framed?.url()).toBe("chrome-error://chromewebdata/");
      expect(await framed?.evaluate(() => document.body.innerText)).not.toContain("No authentication");
    } finally {
      await page.close();
      embedder.closeAllConnections();
      await new Promise((resolve) => embedder.close(resolve));
    }
  });
});

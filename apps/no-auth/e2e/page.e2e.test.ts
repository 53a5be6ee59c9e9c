import { launchChromium, openPage, probeFraming } from "@mcp-auth/dev-harness";
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
    const probe = await probeFraming(browser, target);
    // Frames load on the embedding page, and the Worker answered the framed request…
    expect(probe.controlText).toBe("control frame loaded");
    expect(probe.targetStatus).toBe(200);
    // …which Chromium refused to render, saying why.
    expect(probe.consoleErrors).toContainEqual(
      expect.stringContaining(
        `Framing '${target}' violates the following Content Security Policy directive: "frame-ancestors 'none'"`,
      ),
    );
    expect(probe.framedUrl).toBe("chrome-error://chromewebdata/");
    expect(probe.framedText).not.toContain("No authentication");
  });
});

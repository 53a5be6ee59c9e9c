import { launchChromium, listToolsOverStdio, openPage, runCommandLine } from "@mcp-auth/dev-harness";
import { expectFramingRefused } from "@mcp-auth/mcp-core/testing/node";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";

const TOOLS = ["whoami", "echo", "notes_list", "notes_add", "notes_delete"];

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

  /** The code block printed under the client's heading on the page, as the Copy button copies it. */
  async function printed(client: string): Promise<string> {
    const { page, problems } = await openPage(browser, `${inject("origin")}/`);
    try {
      const snippet = await page.locator(`h3:has-text("${client} —") + pre code`).textContent();
      expect(problems).toEqual([]);
      return snippet ?? "";
    } finally {
      await page.close();
    }
  }

  // These download the pinned clients through npx on the first run (from the npm registry; then
  // npx's cache): they check the commands exactly as printed, against this running app.
  it("the printed MCP Inspector command, run as printed, lists the tools", { timeout: 240_000 }, async () => {
    const command = await printed("MCP Inspector");
    expect(command).toMatch(/^npx -y @modelcontextprotocol\/inspector@\d+\.\d+\.\d+ --cli /);
    const run = await runCommandLine(command, { cwd: import.meta.dirname });
    expect(run.code, run.tail).toBe(0);
    const listed = JSON.parse(run.stdout) as { tools: { name: string }[] };
    expect(listed.tools.map((tool) => tool.name)).toEqual(TOOLS);
  });

  it(
    "the printed mcp-remote command and Claude Desktop config bridge stdio to the tools",
    { timeout: 240_000 },
    async () => {
      const line = await printed("mcp-remote");
      expect(line).toMatch(/^npx -y mcp-remote@\d+\.\d+\.\d+ /);
      const options = { cwd: import.meta.dirname, timeoutMs: 200_000 };
      await expect(listToolsOverStdio("sh", ["-c", line], options)).resolves.toEqual(TOOLS);
      const desktop = JSON.parse(await printed("Claude Desktop")) as {
        mcpServers: Record<string, { command: string; args: string[] }>;
      };
      const server = desktop.mcpServers["no-auth"];
      expect(server?.command).toBe("npx");
      await expect(listToolsOverStdio(server?.command ?? "", server?.args ?? [], options)).resolves.toEqual(TOOLS);
    },
  );

  it("cannot be framed by another site, while a control frame on the same page loads", async () => {
    await expectFramingRefused(browser, `${inject("origin")}/`, { hidden: "No authentication" });
  });
});

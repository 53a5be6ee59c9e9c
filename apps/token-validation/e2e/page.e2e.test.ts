import { launchChromium, openPage, runCommandLine } from "@mcp-auth/dev-harness";
import { expectFramingRefused } from "@mcp-auth/mcp-core/testing/node";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createKey } from "./helpers.ts";

describe("GET / in a real browser", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser.close();
  });

  it("renders the pattern and a Cursor config with a placeholder credential, with no errors", async () => {
    const origin = inject("keys").origin;
    const { page, response, problems } = await openPage(browser, `${origin}/`);
    expect(response?.status()).toBe(200);
    await expect(page.title()).resolves.toBe("Token validation — MCP auth patterns");
    const clients = await page.locator("h3").allTextContents();
    expect(clients.map((text) => text.split(" — ")[0])).toContain("Cursor");
    const cursorIndex = clients.findIndex((text) => text.startsWith("Cursor"));
    const cursor = JSON.parse(await page.locator("pre").nth(cursorIndex).innerText()) as {
      mcpServers: Record<string, { url: string; headers?: Record<string, string> }>;
    };
    expect(cursor.mcpServers["token-validation"]).toEqual({
      url: `${origin}/mcp`,
      headers: { Authorization: "Bearer <YOUR_API_KEY_OR_TOKEN>" },
    });
    const text = await page.locator("body").innerText();
    expect(text).toContain("API key (mcpk_…) in Authorization: Bearer");
    expect(text).not.toMatch(/mcpk_[A-Za-z0-9_-]{43}/);
    // How to get a credential, for the methods this instance runs (api_key, jwt with a secret).
    await expect(page.locator("h2").allTextContents()).resolves.toContain("Get a credential");
    const commands = await page.locator("h2:has-text('Get a credential') ~ pre").allInnerTexts();
    expect(commands).toEqual([
      'npm run keys -- create --owner you --scopes "notes:read notes:write"',
      'TOKEN=$(npm run -s mint-token -- --sub you --scopes "notes:read notes:write")',
    ]);
    await page.screenshot({ path: "test-results/token-validation-page.png", fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  // Downloads the pinned Inspector through npx on the first run (npm registry, then npx's cache).
  it(
    "the printed MCP Inspector command, with a real key in the placeholder, lists the tools",
    { timeout: 240_000 },
    async () => {
      const origin = inject("keys").origin;
      const { page, problems } = await openPage(browser, `${origin}/`);
      const command = (await page.locator('h3:has-text("MCP Inspector —") + pre code').textContent()) ?? "";
      expect(problems).toEqual([]);
      await page.close();
      expect(command).toMatch(/^npx -y @modelcontextprotocol\/inspector@\d+\.\d+\.\d+ --cli /);
      expect(command).toContain('--header "Authorization: Bearer <YOUR_API_KEY_OR_TOKEN>"');
      // The key goes in through the environment, so the command line (and any failure message) never carries it.
      const { key } = await createKey(inject("keys").stateDir, "inspector-cli", "notes:read");
      const line = command.replace("<YOUR_API_KEY_OR_TOKEN>", "$INSPECTOR_TEST_KEY");
      const run = await runCommandLine(line, {
        cwd: import.meta.dirname,
        env: { ...process.env, INSPECTOR_TEST_KEY: key },
      });
      expect(run.code, run.tail.replaceAll(key, "<key>")).toBe(0);
      const listed = JSON.parse(run.stdout) as { tools: { name: string }[] };
      expect(listed.tools.map((tool) => tool.name)).toContain("whoami");
      // Control: the same command with the placeholder left in is refused.
      const refused = await runCommandLine(command, { cwd: import.meta.dirname });
      expect(refused.code).not.toBe(0);
    },
  );

  it("cannot be framed by another site, while a control frame on the same page loads", async () => {
    await expectFramingRefused(browser, `${inject("keys").origin}/`, { hidden: "Token validation" });
  });
});

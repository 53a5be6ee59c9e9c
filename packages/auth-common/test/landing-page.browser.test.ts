// The landing page in real Chromium at a phone's width: every code block has a Copy button that
// puts exactly the snippet on the clipboard, the one script runs under the CSP hash (and is
// blocked without it), and no code block scrolls sideways.
import { launchChromium, serveOnLoopback, type LoopbackServer } from "@mcp-auth/dev-harness";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientConfigs } from "../src/pages/client-configs.ts";
import { COPY_BUTTONS_SCRIPT_HASH } from "../src/pages/html.ts";
import { landingPage, type LandingPageContent } from "../src/pages/landing-page.ts";

const CONTENT: LandingPageContent = {
  pattern: "token-validation",
  title: "Token validation",
  summary: "Callers present a bearer token.",
  howItWorks: ["Send the token"],
  risks: ["Token theft"],
  clientHeaders: { Authorization: "Bearer <YOUR_API_KEY_OR_TOKEN>" },
  settings: [["AUDIENCE", "https://a-rather-long-host-name.example.com/mcp/with/a/long/path/and/more/segments"]],
  // The real tool set's shape (auth-common cannot import mcp-core): long descriptions squeeze
  // the name and scope columns, which is where names used to break mid-word ("notes_li st").
  tools: [
    { name: "whoami", description: "Shows who you are", scope: undefined },
    {
      name: "notes_list",
      description: "Lists the notes stored for the calling subject, newest first, with their ids and creation times.",
      scope: "notes:read",
    },
    {
      name: "notes_delete",
      description: "Deletes one of the calling subject's notes by id; deleting a note that is not there is an error.",
      scope: "notes:write",
    },
  ],
  credentials: [
    {
      how: "Mint a token:",
      command: 'TOKEN=$(npm run -s mint-token -- --sub you --scopes "notes:read notes:write" --ttl 3600 --audience x)',
    },
  ],
};

let browser: Browser;
let server: LoopbackServer;
let origin = "";

beforeAll(async () => {
  server = await serveOnLoopback((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    // A long host name makes every URL in the snippets long, as a deployed Worker's can be.
    const shown = new Request(`https://mcp-token-validation.some-account-name.workers.dev${url.pathname}`);
    const response = landingPage(shown, CONTENT);
    const headers = Object.fromEntries(response.headers);
    // The control: the same page under a CSP whose script hash does not match.
    if (url.searchParams.has("wrong-hash")) {
      headers["content-security-policy"] = (headers["content-security-policy"] ?? "").replace(
        /'sha256-[^']+'/,
        "'sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='",
      );
    }
    void response.text().then((body) => res.writeHead(200, headers).end(body));
  });
  origin = server.origin;
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser.close();
  await server.stop();
});

/** A 390 px wide page (a phone) that may use the clipboard, with its console errors collected. */
async function phonePage(path: string): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(message.text());
  });
  page.on("pageerror", (error) => problems.push(error.message));
  await page.goto(`${origin}${path}`);
  return { context, page, problems };
}

/** Code blocks whose content is wider than the block (they would scroll sideways). */
function overflowing(page: Page): Promise<string[]> {
  return page
    .locator("pre")
    .evaluateAll((blocks) =>
      blocks.filter((block) => block.scrollWidth > block.clientWidth).map((block) => block.textContent.slice(0, 60)),
    );
}

describe("the landing page in Chromium, 390 px wide", { timeout: 30_000 }, () => {
  it("every code block has a Copy button that copies exactly its snippet, with no errors", async () => {
    const { context, page, problems } = await phonePage("/");
    try {
      const blocks = page.locator("pre > code");
      const texts = await blocks.allTextContents();
      const snippets = clientConfigs(
        CONTENT.pattern,
        "https://mcp-token-validation.some-account-name.workers.dev/mcp",
        CONTENT.clientHeaders,
      ).map((config) => config.snippet);
      expect(texts).toEqual([...snippets, CONTENT.credentials?.[0]?.command]);
      const buttons = page.locator("pre + button.copy");
      await expect(buttons.count()).resolves.toBe(texts.length);
      for (const [index, text] of texts.entries()) {
        const button = buttons.nth(index);
        await expect(button.innerText()).resolves.toBe("Copy");
        await button.click();
        await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe(text);
        await expect(button.innerText()).resolves.toBe("Copied");
      }
      // A multi-line JSON snippet survives the round trip as JSON.
      const desktop = snippets[1] ?? "";
      await buttons.nth(1).click();
      expect(JSON.parse(await page.evaluate(() => navigator.clipboard.readText()))).toEqual(JSON.parse(desktop));
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("no code block and not the page itself scrolls sideways", async () => {
    const { context, page, problems } = await phonePage("/");
    try {
      await expect(overflowing(page)).resolves.toEqual([]);
      const widths = await page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        client: document.documentElement.clientWidth,
      }));
      expect(widths.scroll).toBeLessThanOrEqual(widths.client);
      expect(problems).toEqual([]);
      // Control: the same blocks without wrapping do overflow, so the check above can fail.
      await page.addStyleTag({ content: "pre { white-space: pre !important; overflow-wrap: normal !important; }" });
      expect((await overflowing(page)).length).toBeGreaterThan(0);
    } finally {
      await context.close();
    }
  });

  it("under a CSP without the script's hash the script is blocked, and Chromium names our hash", async () => {
    const { context, page, problems } = await phonePage("/?wrong-hash");
    try {
      await expect(page.locator("pre").count()).resolves.toBeGreaterThan(0);
      await expect(page.locator("button.copy").count()).resolves.toBe(0);
      const errors = problems.join("\n");
      expect(errors).toMatch(
        /Executing inline script violates the following Content Security Policy directive 'script-src/,
      );
      // Chromium names the hash of the script it saw: the constant the real headers carry.
      expect(errors).toContain(`a hash (${COPY_BUTTONS_SCRIPT_HASH})`);
    } finally {
      await context.close();
    }
  });
});

describe("tool and scope names never break mid-word", { timeout: 30_000 }, () => {
  /** Names in the tools table that do not render as one line box: more than one client rect. */
  function brokenNames(page: Page): Promise<string[]> {
    return page
      .locator("table")
      .first()
      .locator("td code")
      .evaluateAll((names) =>
        names
          .filter((name) => {
            const lineHeight = Number.parseFloat(getComputedStyle(name).lineHeight);
            return name.getClientRects().length !== 1 || name.getBoundingClientRect().height > lineHeight * 1.5;
          })
          .map((name) => name.textContent),
      );
  }

  it.each([
    [320, 640],
    [1280, 800],
  ])(
    "at %i × %i px, each tool and scope name is one line, and the page does not scroll sideways",
    async (width, height) => {
      const context = await browser.newContext({ viewport: { width, height } });
      try {
        const page = await context.newPage();
        await page.goto(`${origin}/`);
        await expect(page.locator("table").first().locator("td code").allTextContents()).resolves.toEqual([
          "whoami",
          "notes_list",
          "notes:read",
          "notes_delete",
          "notes:write",
        ]);
        await expect(brokenNames(page)).resolves.toEqual([]);
        const widths = await page.evaluate(() => ({
          scroll: document.documentElement.scrollWidth,
          client: document.documentElement.clientWidth,
        }));
        expect(widths.scroll).toBeLessThanOrEqual(widths.client);
        // Control: letting names wrap anywhere again breaks them at the narrow width.
        if (width === 320) {
          await page.addStyleTag({
            content: "td code { white-space: normal !important; overflow-wrap: anywhere !important; }",
          });
          expect((await brokenNames(page)).length).toBeGreaterThan(0);
        }
      } finally {
        await context.close();
      }
    },
  );
});

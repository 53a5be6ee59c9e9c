// Headless Chromium for page tests: Debian's browser driven by playwright-core.
import { existsSync } from "node:fs";
import { chromium, type Browser, type Page, type Response } from "playwright-core";

/** The browser {@link launchChromium} returns, for suites in packages without playwright-core. */
export type { Browser };

/** Debian's Chromium; the project never downloads a browser of its own. */
export const CHROMIUM_PATH = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";

/**
 * Launches headless Chromium for page tests. Fails with the install command when it is missing
 * (the README's test command and `.ci/run` install it), rather than skipping the test.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: install it with \`apt-get install -y chromium\``);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // Sandbox needs user namespaces that CI containers running as root do not have; the pages
    // under test are our own, on loopback. The rest keep Chromium off the (closed) network.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/**
 * Opens `url` in a new page and collects every console error and uncaught page error, so a test
 * can assert the page ran clean (`expect(problems).toEqual([])`).
 */
export async function openPage(
  browser: Browser,
  url: string,
): Promise<{ page: Page; response: Response | null; problems: string[] }> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(message.text());
  });
  page.on("pageerror", (error) => problems.push(error.message));
  return { page, response: await page.goto(url), problems };
}

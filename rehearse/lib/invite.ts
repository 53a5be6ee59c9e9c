// A person accepting their full-oauth-provider invitation in a real browser (headless Chromium):
// the link's page posts the code from its fragment, the person sets a password, and lands on
// /account signed in.
import { launchChromium } from "@mcp-auth/dev-harness";

/** Opens `link` from `address` and sets `password`; throws with what the page showed when it fails. */
export async function acceptInvite(link: string, password: string, address: string): Promise<void> {
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ extraHTTPHeaders: { "cf-connecting-ip": address } });
    const page = await context.newPage();
    await page.goto(link);
    await page.locator(".invited-as").waitFor({ timeout: 60_000 });
    await page.getByLabel("New password").fill(password);
    await page.getByLabel("The same password again").fill(password);
    await page.getByRole("button", { name: "Set my password" }).click();
    const origin = new URL(link).origin;
    await page.waitForURL(`${origin}/account`, { timeout: 60_000 }).catch(async () => {
      throw new Error(
        `the invitation page did not lead to /account: ${(await page.locator("body").innerText()).slice(0, 300)}`,
      );
    });
    await context.close();
  } finally {
    await browser.close();
  }
}

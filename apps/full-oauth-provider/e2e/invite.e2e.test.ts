// Invitations end to end: the admin CLI invites (no password), Debian's Chromium opens the link it
// printed (the code in the fragment, posted by the page's script under the pages' real CSP), the
// person sets a password, and an MCP client (SDK v2's auth()) then signs them in with it and calls
// whoami; then the passkey choice, with Chromium's virtual authenticator.
import { launchChromium } from "@mcp-auth/dev-harness";
import { connectClient } from "@mcp-auth/mcp-core/testing";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { HeadlessProvider, signInThroughSdk } from "./flow.ts";
import { usersCli } from "./global-setup.ts";

const origin = () => inject("origin");
const cli = (args: string[]) => usersCli(inject("stateDir"), inject("pepper"), args);

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser.close();
});

/** `users invite --json` for a fresh email: the link and the user id it printed. */
async function invite(name: string) {
  const email = `${name.toLowerCase().replaceAll(" ", "-")}-${Date.now()}@example.com`;
  const invited = await cli(["invite", "--email", email, "--name", name, "--origin", origin(), "--json"]);
  expect(invited.code, invited.output).toBe(0);
  const { user, link } = JSON.parse(invited.output) as { user: { id: string }; link: string };
  return { email, userId: user.id, link };
}

/** A new context and page, with every console and page error collected (the CSP is enforced for real). */
async function newPage(): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`${page.url()}: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`${page.url()}: ${error.message}`));
  return { context, page, problems };
}

/**
 * The audit rows of `userId` as `event:outcome:detail`, once they include every row of `expected`
 * (the Worker writes them just after its response), or after 20 s.
 */
async function auditOf(userId: string, expected: string[]): Promise<string[]> {
  for (const until = Date.now() + 20_000; ;) {
    const audit = await cli(["audit", "--user", userId, "--json"]);
    const rows = (JSON.parse(audit.output) as { event: string; outcome: string; detail: string | null }[]).map(
      (row) => `${row.event}:${row.outcome}:${row.detail ?? ""}`,
    );
    if (expected.every((row) => rows.includes(row)) || Date.now() > until) return rows;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

// Each CLI call starts wrangler's D1 proxy (seconds of CPU on a busy 2-core machine).
describe("users invite → the link in Chromium → first sign-in", { timeout: 300_000 }, () => {
  it("invite (INVITED) → link → set a password → /account → an MCP client signs in with it and calls whoami", async () => {
    const { email, userId, link } = await invite("Invited Person");
    expect(link).toMatch(new RegExp(`^${origin()}/invite#[A-Za-z0-9_-]{43}$`));
    const listed = JSON.parse((await cli(["list", "--json"])).output) as { id: string; status: string }[];
    expect(listed.find((user) => user.id === userId)?.status).toBe("INVITED");

    const { context, page, problems } = await newPage();
    const requests: string[] = [];
    page.on("request", (request) => requests.push(`${request.url()} ${request.postData() ?? ""}`));
    await page.goto(link);
    // The script posted the code: the page names the invited person, and the code is gone
    // from the address bar; it travelled only in a POST body.
    await page.locator(".invited-as").waitFor();
    expect(await page.locator(".invited-as").innerText()).toBe(email);
    expect(page.url()).toBe(`${origin()}/invite/open`);
    const code = link.split("#")[1] ?? "";
    expect(requests.filter((request) => request.split(" ")[0]?.includes(code))).toEqual([]);

    const password = "the password I chose myself";
    await page.getByLabel("New password").fill(password);
    await page.getByLabel("The same password again").fill(password);
    await page.getByRole("button", { name: "Set my password" }).click();
    await page.waitForURL(`${origin()}/account`);
    expect(await page.locator(".signed-in-as").innerText()).toBe(email);
    expect(problems).toEqual([]);

    // The link is spent: opening it again says so, and what to do.
    await page.goto(link);
    await page.locator("#invite-refused").waitFor();
    expect(await page.locator("h1").innerText()).toBe("This invitation was already used");
    await context.close();

    // An MCP client's whole flow (registration → login page with that password → consent → token).
    const provider = new HeadlessProvider(email, password);
    const tokens = await signInThroughSdk(provider);
    const client = await connectClient("sdk-v2 (2026-07-28)", {
      url: new URL("/mcp", origin()),
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect((await client.callTool("whoami", {})).structuredContent).toMatchObject({
      subject: userId,
      pattern: "full-oauth-provider",
    });
    await client.close();

    const after = JSON.parse((await cli(["list", "--json"])).output) as { id: string; status: string }[];
    expect(after.find((user) => user.id === userId)?.status).toBe("enabled");
    const expected = ["user_invited:ok:cli", "invite_accepted:ok:password", "invite_refused:refused:used"];
    const events = await auditOf(userId, expected);
    expect(events).toEqual(expect.arrayContaining(expected));
    for (const secret of [password, code, tokens.access_token]) expect(events.join("\n")).not.toContain(secret);
  });

  it("a rerun replaces the link; an account that can sign in is refused with a clear error", async () => {
    const { email, userId, link } = await invite("Invited Twice");
    const again = await cli(["invite", "--email", email, "--name", "Invited Twice", "--origin", origin()]);
    expect(again.code).toBe(0);
    const [first, second] = again.output.trimEnd().split("\n");
    expect(first).toMatch(new RegExp(`^invited again \\(the earlier link no longer works\\) ${userId} ${email} `));
    const newLink = /(http\S+\/invite#[A-Za-z0-9_-]{43})$/.exec(second ?? "")?.[1] ?? "";
    expect(newLink).not.toBe(link);

    const { context, page } = await newPage();
    await page.goto(link);
    await page.locator("#invite-refused").waitFor();
    expect(await page.locator("h1").innerText()).toBe("This invitation link is not valid");
    // Opened where the empty /invite form is shown (only the fragment changes): it still opens.
    await page.goto(`${origin()}/invite`);
    await page.goto(newLink);
    await page.locator(".invited-as").waitFor();
    await context.close();

    const active = await cli(["invite", "--email", "sdk-v1@example.com", "--name", "x", "--origin", origin()]);
    expect(active).toEqual({
      code: 1,
      output: "users: sdk-v1@example.com can already sign in: use set-password to give a new password\n",
    });
  });

  it("bad input: a usage error (exit 2) or one sentence (exit 1), and nobody is invited", async () => {
    const email = `bad-input-${Date.now()}@example.com`;
    const usage = [
      [["invite", "--email", email], "invite needs --email and --name"],
      [
        ["invite", "--email", email, "--name", "B", "--expires-in-days", "0"],
        "--expires-in-days is a whole number from 1 to 30",
      ],
      [
        ["invite", "--email", email, "--name", "B", "--expires-in-days", "31"],
        "--expires-in-days is a whole number from 1 to 30",
      ],
      [["invite", "--email", email, "--name", "B", "--origin", "not a url"], "--origin not a url is not a URL"],
      [
        ["invite", "--email", email, "--name", "B", "--origin", `${origin()}/invite`],
        `--origin takes an origin (scheme, host and port only), not ${origin()}/invite`,
      ],
    ] as const;
    for (const [args, message] of usage) {
      const answer = await cli([...args]);
      expect(answer.code, args.join(" ")).toBe(2);
      expect(answer.output.split("\n")[0]).toBe(message);
    }
    const badEmail = await cli(["invite", "--email", "not-an-email", "--name", "B", "--origin", origin()]);
    expect(badEmail).toEqual({ code: 1, output: "users: That is not an email address.\n" });
    const listed = JSON.parse((await cli(["list", "--json"])).output) as { email: string }[];
    expect(listed.map((user) => user.email)).not.toContain(email);
  });

  it("the passkey choice: Chromium's virtual authenticator registers one, the person lands on /account", async () => {
    const { userId, link } = await invite("Passkey Person");
    const { context, page, problems } = await newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send("WebAuthn.enable");
    await cdp.send("WebAuthn.addVirtualAuthenticator", {
      options: {
        protocol: "ctap2",
        transport: "internal",
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    await page.goto(link);
    await page.getByRole("button", { name: "Use a passkey instead" }).click();
    await page.waitForURL(`${origin()}/account`);
    expect(await page.locator(".passkey-name").count()).toBe(1);

    // Signed out, the passkey alone signs the person in again (no email, no password).
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${origin()}/`);
    await page.goto(`${origin()}/login`);
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await page.waitForURL(`${origin()}/account`);
    expect(problems).toEqual([]);
    await context.close();
    const expected = ["invite_accepted:ok:passkey", "passkey_added:ok:", "sign_in:ok:passkey"];
    expect(await auditOf(userId, expected)).toEqual(expect.arrayContaining(expected));
  });
});

import { SoftwareAuthenticator } from "@mcp-auth/dev-harness/webauthn";
import { awayFromWindowEdge } from "@mcp-auth/dev-harness/limits";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { hasCredential, inviteUser, pendingInvitations } from "../src/invitations.ts";
import { SIGN_IN_FAILED } from "../src/sessions.ts";
import { findByEmail, readAudit, replacePassword, setDisabled } from "../src/users.ts";
import { Browser, ORIGIN, auditOf, authorizePath, eventually, hiddenValue, registerClient } from "./helpers.ts";

/** The sign-in limiters' period (wrangler.jsonc `ratelimits`): they count in clock-aligned windows. */
const SIGN_IN_WINDOW_SECONDS = 60;
const NEW_PASSWORD = "my own invitation password";

let counter = 0;
/** A user invited as `users invite` does: no password, a code of their own. */
async function invited(days = 7) {
  counter++;
  const email = `invited${counter}-${crypto.randomUUID().slice(0, 8)}@example.com`;
  return inviteUser(env.DB, { email, displayName: `Invited ${counter}`, days });
}

/** A browser that opened the link: GET /invite (its cookie and token), then POST /invite/open with the code. */
async function openLink(code: string, browser = new Browser(), returnTo?: string) {
  const query = returnTo === undefined ? "" : `?return_to=${encodeURIComponent(returnTo)}`;
  const shell = await (await browser.fetch(`/invite${query}`)).text();
  const opened = await browser.post("/invite/open", {
    csrf: hiddenValue(shell, "csrf") ?? "",
    code,
    ...(returnTo === undefined ? {} : { return_to: hiddenValue(shell, "return_to") ?? "" }),
  });
  const page = await opened.clone().text();
  return { browser, opened, page, csrf: hiddenValue(page, "csrf") ?? "" };
}

/** The accept form as the invitation page posts it. */
const acceptForm = (csrf: string, code: string, password = NEW_PASSWORD, confirm = password) => ({
  csrf,
  code,
  password,
  confirm,
});

/** Whether `email` signs in with `password` on /login (a fresh browser). */
async function signsIn(email: string, password: string): Promise<boolean> {
  return (await new Browser().signIn(email, password)).status === 303;
}

const invitationRows = async (userId: string) =>
  (
    await env.DB.prepare("SELECT accepted_at, method FROM invitations WHERE user_id = ?")
      .bind(userId)
      .all<{ accepted_at: number | null; method: string | null }>()
  ).results;

/** The user's one invitation was accepted, with `method`. */
async function expectAccepted(userId: string, method: "password" | "passkey") {
  const rows = await invitationRows(userId);
  expect(rows.map((row) => row.method)).toEqual([method]);
  expect(rows[0]?.accepted_at).toBeTypeOf("number");
}

describe("/invite: the invited person sets a password", () => {
  it("the link's page names who is invited; a password signs them in, lands on /account, and is theirs from then on", async () => {
    const { user, code } = await invited();
    const shell = await new Browser().fetch("/invite");
    expect(shell.status).toBe(200);
    // The same page headers as /login: no framing, no inline script, no referrer.
    expect(shell.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(shell.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(shell.headers.get("referrer-policy")).toBe("no-referrer");
    expect(shell.headers.getSetCookie()[0]).toMatch(/^__Host-session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=1800;/);

    const { browser, opened, page, csrf } = await openLink(code);
    expect(opened.status).toBe(200);
    expect(page).toContain(`<strong class="invited-as">${user.email}</strong>`);
    expect(page).toContain(`Welcome, ${user.displayName}`);
    expect(page).toContain('id="invite-passkey"');
    expect((await pendingInvitations(env.DB)).has(user.id)).toBe(true);

    const accepted = await browser.post("/invite/accept", acceptForm(csrf, code));
    expect(accepted.status).toBe(303);
    expect(accepted.headers.get("location")).toBe("/account");
    const account = await browser.fetch("/account");
    expect(account.status).toBe(200);
    expect(await account.text()).toContain(`<strong class="signed-in-as">${user.email}</strong>`);
    expect(await signsIn(user.email, NEW_PASSWORD)).toBe(true);
    await expectAccepted(user.id, "password");
    expect((await pendingInvitations(env.DB)).has(user.id)).toBe(false);
    const { row } = await auditOf(user.id, (entry) => entry.event === "invite_accepted");
    expect(row).toMatchObject({ outcome: "ok", detail: "password" });
  });

  it("a pending OAuth authorization continues: with return_to the accept lands on that /authorize", async () => {
    const { code } = await invited();
    const returnTo = authorizePath(await registerClient());
    const { browser, page, csrf } = await openLink(code, new Browser(), returnTo);
    expect(hiddenValue(page, "return_to")).toBe(returnTo);
    const accepted = await browser.post("/invite/accept", { ...acceptForm(csrf, code), return_to: returnTo });
    expect(accepted.status).toBe(303);
    expect(accepted.headers.get("location")).toBe(returnTo);
  });

  it("a password the app's rules refuse, or two that differ: 400 with the reason, nothing changed", async () => {
    const { user, code } = await invited();
    const { browser, csrf } = await openLink(code);
    const short = await browser.post("/invite/accept", acceptForm(csrf, code, "too short"));
    expect(short.status).toBe(400);
    expect(await short.text()).toContain("A password needs at least 15 characters.");
    const differ = await browser.post("/invite/accept", acceptForm(csrf, code, NEW_PASSWORD, `${NEW_PASSWORD}!`));
    expect(differ.status).toBe(400);
    expect(await differ.text()).toContain("The two passwords differ.");
    expect(await hasCredential(env.DB, user.id)).toBe(false);
    expect(await invitationRows(user.id)).toEqual([{ accepted_at: null, method: null }]);
    // Still usable afterwards.
    expect((await browser.post("/invite/accept", acceptForm(csrf, code))).status).toBe(303);
  });
});

describe("/invite: a code that cannot be used changes nothing", () => {
  it("used: 410 with what to do, on opening and on accepting; the first password stays the only one", async () => {
    const { user, code } = await invited();
    // Another browser (or tab) has the page open before the accept…
    const kept = await openLink(code);
    const first = await openLink(code);
    expect((await first.browser.post("/invite/accept", acceptForm(first.csrf, code))).status).toBe(303);

    const { opened, page } = await openLink(code);
    expect(opened.status).toBe(410);
    expect(page).toContain("This invitation was already used");
    expect(page).toContain("ask your admin for a new invitation");
    // …and cannot set another password with it afterwards.
    const replay = await kept.browser.post("/invite/accept", acceptForm(kept.csrf, code, "another password, later on"));
    expect(replay.status).toBe(410);
    expect(await signsIn(user.email, "another password, later on")).toBe(false);
    expect(await signsIn(user.email, NEW_PASSWORD)).toBe(true);
    const { row } = await auditOf(user.id, (entry) => entry.event === "invite_refused");
    expect(row).toMatchObject({ outcome: "refused", detail: "used" });
  });

  it("expired: 410 'ask your admin for a new invitation'; the user still has no credential", async () => {
    const { user, code } = await invited();
    await env.DB.prepare("UPDATE invitations SET expires_at = ? WHERE user_id = ?")
      .bind(Math.floor(Date.now() / 1000) - 1, user.id)
      .run();
    const { opened, page } = await openLink(code);
    expect(opened.status).toBe(410);
    expect(page).toContain("This invitation has expired");
    expect(page).toContain("Ask your admin for a new invitation.");
    // Straight to the accept endpoint (a form from before it expired): refused too.
    const browser = new Browser();
    const shell = await (await browser.fetch("/invite")).text();
    const accept = await browser.post("/invite/accept", acceptForm(hiddenValue(shell, "csrf") ?? "", code));
    expect(accept.status).toBe(410);
    expect(await hasCredential(env.DB, user.id)).toBe(false);
    const { row } = await auditOf(user.id, (entry) => entry.event === "invite_refused");
    expect(row).toMatchObject({ outcome: "refused", detail: "expired" });
  });

  it("unknown, malformed or replaced by a newer invitation: 400 'not valid'", async () => {
    const { user, code } = await invited();
    const again = await inviteUser(env.DB, { email: user.email, displayName: user.displayName, days: 7 });
    expect(again).toMatchObject({ reissued: true, user: { id: user.id } });
    for (const bad of [code, "A".repeat(43), "not a code", "", `${again.code}x`]) {
      const { opened, page } = await openLink(bad);
      expect(opened.status, bad).toBe(400);
      expect(page).toContain("This invitation link is not valid");
      expect(page).toContain("ask your admin for a new invitation");
    }
    expect((await openLink(again.code)).opened.status).toBe(200);
  });

  it("a disabled invitee's code, or one whose account got a password meanwhile: 410", async () => {
    const disabled = await invited();
    await setDisabled(env.DB, disabled.user.id, true);
    const withPassword = await invited();
    await replacePassword(env.DB, withPassword.user.id, "$pbkdf2-sha256$set-by-the-cli-meanwhile");
    for (const { code } of [disabled, withPassword]) {
      const { opened, page } = await openLink(code);
      expect(opened.status).toBe(410);
      expect(page).toContain("This invitation can no longer be used");
    }
    const { row } = await auditOf(disabled.user.id, (entry) => entry.event === "invite_refused");
    expect(row).toMatchObject({ outcome: "refused", detail: "not_pending" });
  });
});

describe("/invite: one use, even under a race", () => {
  it("two accepts at once from two browsers: one 303, one 410; only the winner's password signs in", async () => {
    const { user, code } = await invited();
    const [a, b] = await Promise.all([openLink(code), openLink(code)]);
    const answers = await Promise.all([
      a.browser.post("/invite/accept", acceptForm(a.csrf, code, "the first browser's password")),
      b.browser.post("/invite/accept", acceptForm(b.csrf, code, "the second browser's password")),
    ]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([303, 410]);
    const winner = answers[0].status === 303 ? "first" : "second";
    const loser = winner === "first" ? "second" : "first";
    expect(await signsIn(user.email, `the ${winner} browser's password`)).toBe(true);
    expect(await signsIn(user.email, `the ${loser} browser's password`)).toBe(false);
    await expectAccepted(user.id, "password");
  });
});

describe("/invite: only this origin's own page in this browser (CSRF)", () => {
  it("no token, another browser's token, another site: 403, nothing changed", async () => {
    const { user, code } = await invited();
    const { browser, csrf } = await openLink(code);
    const other = await openLink(code);
    const noToken = await browser.post("/invite/accept", { code, password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    expect(noToken.status).toBe(403);
    const othersToken = await browser.post("/invite/accept", acceptForm(other.csrf, code));
    expect(othersToken.status).toBe(403);
    const crossSite = await browser.post("/invite/accept", acceptForm(csrf, code), {
      origin: "https://evil.example",
      "sec-fetch-site": "cross-site",
    });
    expect(crossSite.status).toBe(403);
    const crossSiteOpen = await browser.post("/invite/open", { csrf, code }, { "sec-fetch-site": "cross-site" });
    expect(crossSiteOpen.status).toBe(403);
    const crossSiteJson = await browser.json(
      "/invite/passkey/options",
      { csrf, code },
      { origin: "https://evil.example", "sec-fetch-site": "cross-site" },
    );
    expect(crossSiteJson.status).toBe(403);
    expect(await crossSiteJson.json()).toMatchObject({ error: "forbidden" });
    expect(await hasCredential(env.DB, user.id)).toBe(false);
    expect(await invitationRows(user.id)).toEqual([{ accepted_at: null, method: null }]);
  });
});

describe("an invited user signs in no other way", () => {
  it("before accepting: no password works on /login (even an empty one) and no passkey exists", async () => {
    const { user } = await invited();
    for (const password of ["", "anything at all, really", NEW_PASSWORD]) {
      const answer = await new Browser().signIn(user.email, password);
      expect(answer.status).toBe(401);
      expect(await answer.text()).toContain(SIGN_IN_FAILED);
    }
    expect((await findByEmail(env.DB, user.email))?.passwordHash).toBeNull();
    expect(await hasCredential(env.DB, user.id)).toBe(false);
    const { rows } = await auditOf(user.id, (entry) => entry.event === "sign_in");
    expect(rows.filter((row) => row.event === "sign_in").every((row) => row.outcome === "failed")).toBe(true);
  });
});

describe("/invite: a passkey instead of a password", () => {
  /** The invitation's passkey ceremony in `browser`, with its software authenticator. */
  async function passkeyAccept(code: string) {
    const { browser, page, csrf } = await openLink(code);
    const buttonCsrf = /id="invite-passkey"[^>]*data-csrf="([^"]+)"/s.exec(page)?.[1] ?? "";
    expect(buttonCsrf).toBe(csrf);
    const authenticator = new SoftwareAuthenticator();
    const options = await (
      await browser.json("/invite/passkey/options", { csrf, code })
    ).json<{
      challenge: string;
      rp: { id: string };
      user: { id: string };
    }>();
    const verify = await browser.json("/invite/passkey/verify", {
      csrf,
      code,
      response: await authenticator.register(options, ORIGIN),
    });
    return { browser, csrf, authenticator, verify };
  }

  it("registers through the app's passkey code, signs in, uses the code up; the passkey then signs in on /login", async () => {
    const { user, code } = await invited();
    const { browser, authenticator, verify } = await passkeyAccept(code);
    expect(verify.status).toBe(200);
    expect(await verify.json()).toEqual({ redirect: "/account" });
    expect(verify.headers.getSetCookie()[0]).toMatch(/^__Host-session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=43200;/);
    expect(await (await browser.fetch("/account")).text()).toContain('class="passkey-name"');
    await expectAccepted(user.id, "passkey");
    expect((await openLink(code)).opened.status).toBe(410);

    const login = new Browser();
    const loginCsrf = hiddenValue(await (await login.fetch("/login")).text(), "csrf") ?? "";
    const options = await (
      await login.json("/login/passkey/options", { csrf: loginCsrf })
    ).json<{
      challenge: string;
    }>();
    const signedIn = await login.json("/login/passkey/verify", {
      csrf: loginCsrf,
      response: await authenticator.assert(options, ORIGIN, "localhost"),
    });
    expect(signedIn.status).toBe(200);
    const { row } = await auditOf(user.id, (entry) => entry.event === "invite_accepted");
    expect(row).toMatchObject({ outcome: "ok", detail: "passkey" });
  });

  it("after the code was used for a password: the passkey calls answer 410 JSON and store nothing", async () => {
    const { user, code } = await invited();
    const { browser, csrf } = await openLink(code);
    const options = await browser.json("/invite/passkey/options", { csrf, code });
    expect(options.status).toBe(200);
    const authenticator = new SoftwareAuthenticator();
    const response = await authenticator.register(await options.json(), ORIGIN);
    const other = await openLink(code);
    expect((await other.browser.post("/invite/accept", acceptForm(other.csrf, code))).status).toBe(303);
    const verify = await browser.json("/invite/passkey/verify", { csrf, code, response });
    expect(verify.status).toBe(410);
    expect(await verify.json()).toEqual({
      error: "used",
      error_description: "Sign in with the password or passkey you chose, or ask your admin for a new invitation.",
    });
    const passkeys = await env.DB.prepare("SELECT COUNT(*) AS n FROM passkeys WHERE user_id = ?")
      .bind(user.id)
      .first<{ n: number }>();
    expect(passkeys?.n).toBe(0);
    // And an unknown code gets no registration options at all.
    const unknown = await browser.json("/invite/passkey/options", { csrf, code: "B".repeat(43) });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ error: "unknown_code" });
  });
});

describe("/invite: limited like sign-in", () => {
  it("many codes from one address → 429 with Retry-After, audited invite_refused rate_limited", async () => {
    const browser = new Browser();
    const csrf = hiddenValue(await (await browser.fetch("/invite")).text(), "csrf") ?? "";
    await awayFromWindowEdge(SIGN_IN_WINDOW_SECONDS, 10_000);
    let limited: Response | undefined;
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 25 && limited === undefined; attempt++) {
      const answer = await browser.post("/invite/open", { csrf, code: `${"C".repeat(40)}${String(100 + attempt)}` });
      statuses.push(answer.status);
      if (answer.status === 429) limited = answer;
    }
    expect(statuses.slice(0, 20).every((status) => status === 400)).toBe(true);
    expect(limited?.status).toBe(429);
    expect(limited?.headers.get("retry-after")).toBe("60");
    expect(await limited?.text()).toContain("Too many attempts. Wait 60 seconds and try again.");
    const rows = await eventually(
      () => readAudit(env.DB, { limit: 100 }),
      (found) => found.some((row) => row.event === "invite_refused" && row.detail === "rate_limited"),
    );
    expect(rows.some((row) => row.event === "invite_refused" && row.address === browser.address)).toBe(true);
  });
});

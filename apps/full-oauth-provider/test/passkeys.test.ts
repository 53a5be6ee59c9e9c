import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MAX_OPEN_CHALLENGES_PER_ADDRESS, PASSKEY_FAILED } from "../src/passkeys.ts";
import { setDisabled } from "../src/users.ts";
import { SoftwareAuthenticator } from "@mcp-auth/dev-harness/webauthn";
import { Browser, ORIGIN, auditOf, authorizePath, hiddenValue, registerClient, testUser } from "./helpers.ts";

const RP_ID = "localhost";

/** The CSRF token the /account page gives its passkey button. */
async function passkeyToken(browser: Browser): Promise<string> {
  const html = await (await browser.fetch("/account")).text();
  return /id="add-passkey" data-csrf="([^"]+)"/.exec(html)?.[1] ?? "";
}

/** Signs a fresh user in and adds a passkey from /account; returns both. */
async function userWithPasskey() {
  const user = await testUser();
  const browser = new Browser();
  await browser.signIn(user.email);
  const authenticator = new SoftwareAuthenticator();
  const csrf = await passkeyToken(browser);
  const options = await (
    await browser.json("/account/passkeys/options", { csrf })
  ).json<{
    challenge: string;
    rp: { id: string };
    user: { id: string };
  }>();
  const added = await browser.json("/account/passkeys/verify", {
    csrf,
    response: await authenticator.register(options, ORIGIN),
  });
  expect(added.status).toBe(201);
  return { user, browser, authenticator };
}

/** A fresh browser at /login: its CSRF token and a sign-in challenge. */
async function loginCeremony(returnTo?: string) {
  const browser = new Browser();
  const page = await browser.fetch(
    `/login${returnTo === undefined ? "" : `?return_to=${encodeURIComponent(returnTo)}`}`,
  );
  const csrf = hiddenValue(await page.text(), "csrf") ?? "";
  const options = await (await browser.json("/login/passkey/options", { csrf })).json<{ challenge: string }>();
  return { browser, csrf, options };
}

describe("passkeys", () => {
  it("added from /account (discoverable, ES256, 'none'), listed there, and signing in with one needs no email", async () => {
    const { user, browser, authenticator } = await userWithPasskey();
    const account = await (await browser.fetch("/account")).text();
    expect(account).toContain('class="passkey-name"');
    const clientId = await registerClient();
    const returnTo = authorizePath(clientId);
    const { browser: other, csrf, options } = await loginCeremony(returnTo);
    const signedIn = await other.json("/login/passkey/verify", {
      csrf,
      return_to: returnTo,
      response: await authenticator.assert(options, ORIGIN, RP_ID),
    });
    expect(signedIn.status).toBe(200);
    expect(await signedIn.json()).toEqual({ redirect: returnTo });
    expect(signedIn.headers.getSetCookie()[0]).toMatch(
      /^__Host-session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=43200; HttpOnly; Secure; SameSite=Lax$/,
    );
    // Signed in as the passkey's user: the consent page names them.
    const consent = await other.fetch(returnTo);
    expect(await consent.text()).toContain(user.email);
    const { rows } = await auditOf(user.id, (entry) => entry.event === "passkey_used");
    expect(rows.map((row) => `${row.event}:${row.outcome}`)).toEqual(
      expect.arrayContaining(["passkey_added:ok", "passkey_used:ok", "sign_in:ok"]),
    );
  });

  it("a replayed assertion is refused: each challenge verifies once, whatever the first try's outcome", async () => {
    const { authenticator } = await userWithPasskey();
    // The first use of a challenge consumes it, even when it fails…
    const ceremony = await loginCeremony();
    const valid = await authenticator.assert(ceremony.options, ORIGIN, RP_ID);
    const failed = await ceremony.browser.json("/login/passkey/verify", {
      csrf: ceremony.csrf,
      response: await new SoftwareAuthenticator().assert(ceremony.options, ORIGIN, RP_ID),
    });
    expect(failed.status).toBe(401);
    // …so the valid assertion for it no longer signs in.
    const late = await ceremony.browser.json("/login/passkey/verify", { csrf: ceremony.csrf, response: valid });
    expect(late.status).toBe(400);
    expect(await late.json()).toMatchObject({ error: "expired" });
    // A used assertion replayed into a new ceremony answers the same as any bad assertion.
    const fresh = await loginCeremony();
    const response = await authenticator.assert(fresh.options, ORIGIN, RP_ID);
    expect((await fresh.browser.json("/login/passkey/verify", { csrf: fresh.csrf, response })).status).toBe(200);
    const again = await loginCeremony();
    const replayed = await again.browser.json("/login/passkey/verify", { csrf: again.csrf, response });
    expect(replayed.status).toBe(401);
    expect(await replayed.json()).toMatchObject({ error: "sign_in_failed", error_description: PASSKEY_FAILED });
  });

  it("an assertion made on another origin is refused with the same answer as an unknown passkey", async () => {
    const { user, authenticator } = await userWithPasskey();
    const wrongOrigin = await loginCeremony();
    const answer = await wrongOrigin.browser.json("/login/passkey/verify", {
      csrf: wrongOrigin.csrf,
      response: await authenticator.assert(wrongOrigin.options, "https://evil.example", RP_ID),
    });
    expect(answer.status).toBe(401);
    expect(await answer.json()).toEqual({ error: "sign_in_failed", error_description: PASSKEY_FAILED });
    expect(answer.headers.getSetCookie()).toEqual([]);
    const unknown = await loginCeremony();
    const stranger = new SoftwareAuthenticator();
    const strangerAnswer = await unknown.browser.json("/login/passkey/verify", {
      csrf: unknown.csrf,
      response: await stranger.assert(unknown.options, ORIGIN, RP_ID),
    });
    expect(strangerAnswer.status).toBe(401);
    expect(await strangerAnswer.json()).toEqual({ error: "sign_in_failed", error_description: PASSKEY_FAILED });
    const { rows } = await auditOf(user.id, (entry) => entry.detail === "wrong_origin");
    expect(
      rows.some((row) => row.event === "sign_in" && row.outcome === "failed" && row.detail === "wrong_origin"),
    ).toBe(true);
  });

  it("another relying party's assertion, a disabled user, and a cross-site or token-less call are refused", async () => {
    const { user, authenticator } = await userWithPasskey();
    const otherRp = await loginCeremony();
    const rpAnswer = await otherRp.browser.json("/login/passkey/verify", {
      csrf: otherRp.csrf,
      response: await authenticator.assert(otherRp.options, ORIGIN, "evil.example"),
    });
    expect(rpAnswer.status).toBe(401);
    await setDisabled(env.DB, user.id, true);
    const disabled = await loginCeremony();
    const disabledAnswer = await disabled.browser.json("/login/passkey/verify", {
      csrf: disabled.csrf,
      response: await authenticator.assert(disabled.options, ORIGIN, RP_ID),
    });
    expect(disabledAnswer.status).toBe(401);
    expect(await disabledAnswer.json()).toMatchObject({ error_description: PASSKEY_FAILED });
    const crossSite = await loginCeremony();
    const forged = await crossSite.browser.json(
      "/login/passkey/options",
      { csrf: crossSite.csrf },
      { origin: "https://evil.example", "sec-fetch-site": "cross-site" },
    );
    expect(forged.status).toBe(403);
    expect(await forged.json()).toMatchObject({ error: "forbidden" });
    const tokenless = await crossSite.browser.json("/login/passkey/options", {});
    expect(tokenless.status).toBe(403);
  });

  it("registration: another session's CSRF token, or no session, changes nothing", async () => {
    const user = await testUser();
    const browser = new Browser();
    await browser.signIn(user.email);
    const stranger = new Browser();
    await stranger.signIn((await testUser()).email);
    const strangersToken = await passkeyToken(stranger);
    const refused = await browser.json("/account/passkeys/options", { csrf: strangersToken });
    expect(refused.status).toBe(403);
    const anonymous = await new Browser().json("/account/passkeys/options", { csrf: strangersToken });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: "not_signed_in" });
    const { results } = await env.DB.prepare("SELECT id FROM passkeys WHERE user_id = ?").bind(user.id).all();
    expect(results).toEqual([]);
  });

  it("removing a passkey: only one's own, with the form's token; then it signs nobody in", async () => {
    const { user, browser, authenticator } = await userWithPasskey();
    const intruder = new Browser();
    await intruder.signIn((await testUser()).email);
    const intruderToken = await passkeyToken(intruder);
    const notTheirs = await intruder.post("/account/passkeys/remove", {
      csrf: intruderToken,
      passkey: authenticator.id,
    });
    expect(notTheirs.status).toBe(404);
    const csrf = await passkeyToken(browser);
    const removed = await browser.post("/account/passkeys/remove", { csrf, passkey: authenticator.id });
    expect(removed.status).toBe(303);
    const { results } = await env.DB.prepare("SELECT id FROM passkeys WHERE user_id = ?").bind(user.id).all();
    expect(results).toEqual([]);
    const after = await loginCeremony();
    const answer = await after.browser.json("/login/passkey/verify", {
      csrf: after.csrf,
      response: await authenticator.assert(after.options, ORIGIN, RP_ID),
    });
    expect(answer.status).toBe(401);
  });

  it("registration requires user verification: an authenticator that only checks presence is refused", async () => {
    const user = await testUser();
    const browser = new Browser();
    await browser.signIn(user.email);
    const csrf = await passkeyToken(browser);
    const options = await (
      await browser.json("/account/passkeys/options", { csrf })
    ).json<{ challenge: string; rp: { id: string }; user: { id: string }; authenticatorSelection: unknown }>();
    expect(options.authenticatorSelection).toMatchObject({ residentKey: "required", userVerification: "required" });
    const presenceOnly = new SoftwareAuthenticator({ userVerified: false });
    const refused = await browser.json("/account/passkeys/verify", {
      csrf,
      response: await presenceOnly.register(options, ORIGIN),
    });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({
      error: "verification_failed",
      error_description: "The passkey could not be verified.",
    });
    const { results } = await env.DB.prepare("SELECT id FROM passkeys WHERE user_id = ?").bind(user.id).all();
    expect(results).toEqual([]);
  });

  it("sign-in requires user verification: an assertion with the UV flag clear signs nobody in", async () => {
    const { authenticator } = await userWithPasskey();
    const ceremony = await loginCeremony();
    expect(ceremony.options).toMatchObject({ userVerification: "required" });
    authenticator.userVerified = false;
    const answer = await ceremony.browser.json("/login/passkey/verify", {
      csrf: ceremony.csrf,
      response: await authenticator.assert(ceremony.options, ORIGIN, RP_ID),
    });
    expect(answer.status).toBe(401);
    expect(await answer.json()).toEqual({ error: "sign_in_failed", error_description: PASSKEY_FAILED });
    expect(answer.headers.getSetCookie()).toEqual([]);
    // The same passkey, verifying the person, signs in (the control).
    authenticator.userVerified = true;
    const again = await loginCeremony();
    const verified = await again.browser.json("/login/passkey/verify", {
      csrf: again.csrf,
      response: await authenticator.assert(again.options, ORIGIN, RP_ID),
    });
    expect(verified.status).toBe(200);
  });

  it("removing a passkey signs out every other session of the user; the browser that removed it stays", async () => {
    const { user, browser, authenticator } = await userWithPasskey();
    const ceremony = await loginCeremony();
    const viaPasskey = await ceremony.browser.json("/login/passkey/verify", {
      csrf: ceremony.csrf,
      response: await authenticator.assert(ceremony.options, ORIGIN, RP_ID),
    });
    expect(viaPasskey.status).toBe(200);
    expect((await ceremony.browser.fetch("/account")).status).toBe(200);
    const removed = await browser.post("/account/passkeys/remove", {
      csrf: await passkeyToken(browser),
      passkey: authenticator.id,
    });
    expect(removed.status).toBe(303);
    const elsewhere = await ceremony.browser.fetch("/account");
    expect(elsewhere.status).toBe(303);
    expect(elsewhere.headers.get("location")).toBe("/login");
    expect((await browser.fetch("/account")).status).toBe(200);
    const { row } = await auditOf(user.id, (entry) => entry.event === "passkey_removed");
    expect(row?.detail).toBe("other sessions ended");
  });
});

describe("passkey challenges", () => {
  const insert = (key: string, address: string, expiresAt: number) =>
    env.DB.prepare(
      "INSERT INTO webauthn_challenges (key, challenge, user_id, expires_at, address) VALUES (?, 'c', NULL, ?, ?)",
    )
      .bind(key, expiresAt, address)
      .run();
  const openFor = async (address: string) =>
    (
      await env.DB.prepare("SELECT COUNT(*) AS n FROM webauthn_challenges WHERE address = ?")
        .bind(address)
        .first<{ n: number }>()
    )?.n ?? 0;

  it("expired challenges are pruned when the next one is stored", async () => {
    const stale = `stale-${crypto.randomUUID()}`;
    await insert(stale, "198.51.100.1", Math.floor(Date.now() / 1000) - 1);
    await loginCeremony();
    const row = await env.DB.prepare("SELECT key FROM webauthn_challenges WHERE key = ?").bind(stale).first();
    expect(row).toBeNull();
  });

  it("one address holds a bounded number of open ceremonies: the next is 429 and stores nothing", async () => {
    const browser = new Browser();
    const csrf = hiddenValue(await (await browser.fetch("/login")).text(), "csrf") ?? "";
    const later = Math.floor(Date.now() / 1000) + 300;
    for (let index = 0; index < MAX_OPEN_CHALLENGES_PER_ADDRESS; index++) {
      await insert(`open-${String(index)}-${crypto.randomUUID()}`, browser.address, later);
    }
    const refused = await browser.json("/login/passkey/options", { csrf });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("300");
    expect(await refused.json()).toEqual({
      error: "rate_limited",
      error_description: "Too many passkey requests from this address. Wait 300 seconds.",
    });
    expect(await openFor(browser.address)).toBe(MAX_OPEN_CHALLENGES_PER_ADDRESS);
    // Another address is not affected (the control).
    const other = await loginCeremony();
    expect(other.options.challenge).toMatch(/^[A-Za-z0-9_-]+$/);
  });
});

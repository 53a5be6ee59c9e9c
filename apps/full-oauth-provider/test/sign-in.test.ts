import { sessionIdHash } from "@mcp-auth/auth-common/accounts";
import { awayFromWindowEdge } from "@mcp-auth/dev-harness/limits";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { SIGN_IN_FAILED } from "../src/sessions.ts";
import { readAudit, setDisabled } from "../src/users.ts";
import {
  Browser,
  PASSWORD,
  authorizePath,
  call,
  cookieOf,
  eventually,
  hiddenValue,
  registerClient,
  testUser,
} from "./helpers.ts";

/** The sign-in limiters' period (wrangler.jsonc `ratelimits`): they count in clock-aligned windows. */
const SIGN_IN_WINDOW_SECONDS = 60;

const sessionRows = async (userId: string) =>
  (await env.DB.prepare("SELECT id_hash FROM sessions WHERE user_id = ?").bind(userId).all<{ id_hash: string }>())
    .results;

describe("the login page", () => {
  it("sets a __Host- cookie (HttpOnly, Secure, SameSite=Lax) and a CSRF token, and cannot be framed", async () => {
    const response = await call("/login");
    expect(response.status).toBe(200);
    const [setCookie] = response.headers.getSetCookie();
    expect(setCookie).toMatch(
      /^__Host-session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=\d+; HttpOnly; Secure; SameSite=Lax$/,
    );
    expect(response.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    const html = await response.text();
    expect(hiddenValue(html, "csrf")).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(html).toContain('name="login"');
    expect(html).toContain('name="password"');
  });

  it("/authorize without a session sends the browser to /login with a return_to of exactly that request", async () => {
    const clientId = await registerClient();
    const path = authorizePath(clientId);
    const response = await call(path);
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get("location") ?? "", "http://x");
    expect(location.pathname).toBe("/login");
    expect(location.searchParams.get("return_to")).toBe(path);
  });
});

describe("signing in with a password", () => {
  it("a new session id at sign-in (no fixation); the store keeps only its hash; return_to is honoured", async () => {
    const user = await testUser();
    const browser = new Browser();
    const clientId = await registerClient();
    const returnTo = authorizePath(clientId);
    const answer = await browser.signIn(user.email, PASSWORD, returnTo);
    expect(answer.status).toBe(303);
    expect(answer.headers.get("location")).toBe(returnTo);
    const preSignIn = (await browser.fetch("/login")).status; // signed in now: /login redirects
    expect(preSignIn).toBe(303);
    const id = browser.cookies.get("__Host-session") ?? "";
    const rows = await sessionRows(user.id);
    expect(rows).toEqual([{ id_hash: await sessionIdHash(id) }]);
    expect(rows[0]?.id_hash).not.toContain(id);
  });

  it("an attacker's pre-sign-in cookie is never promoted: after the victim signs in with it, it is not a session", async () => {
    const user = await testUser();
    const attacker = await call("/login");
    const planted = cookieOf(attacker) ?? "";
    const html = await attacker.text();
    const victim = new Browser();
    victim.cookies.set("__Host-session", planted);
    const answer = await victim.post("/login", {
      csrf: hiddenValue(html, "csrf") ?? "",
      login: user.email,
      password: PASSWORD,
    });
    expect(answer.status).toBe(303);
    const issued = cookieOf(answer);
    expect(issued).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(issued).not.toBe(planted);
    // The planted id signs nobody in: /authorize still asks it to sign in.
    const asAttacker = await call(authorizePath(await registerClient()), {
      headers: { cookie: `__Host-session=${planted}` },
    });
    expect(asAttacker.status).toBe(302);
    expect(asAttacker.headers.get("location")).toMatch(/^\/login\?/);
  });

  it("unknown email, wrong password and a disabled account get the same status and message", async () => {
    const user = await testUser();
    const disabled = await testUser();
    await setDisabled(env.DB, disabled.id, true);
    const answers = await Promise.all([
      new Browser().signIn("nobody-here@example.com"),
      new Browser().signIn(user.email, "not the right password at all"),
      new Browser().signIn(disabled.email, PASSWORD),
    ]);
    for (const answer of answers) {
      expect(answer.status).toBe(401);
      expect(cookieOf(answer)).toBeUndefined();
      const html = await answer.text();
      expect(html).toContain(SIGN_IN_FAILED);
    }
    expect(await sessionRows(user.id)).toEqual([]);
    expect(await sessionRows(disabled.id)).toEqual([]);
    const rows = await eventually(
      () => readAudit(env.DB, { userId: disabled.id }),
      (found) => found.length > 0,
    );
    expect(rows[0]).toMatchObject({ event: "sign_in", outcome: "failed", detail: "disabled" });
  });

  it("the email matches whatever its case", async () => {
    const user = await testUser({ email: `Mixed.Case-${crypto.randomUUID().slice(0, 6)}@Example.com` });
    const answer = await new Browser().signIn(user.email.toUpperCase());
    expect(answer.status).toBe(303);
  });

  it("login CSRF: a form without the token, with another browser's token, or from another site → 403, no session", async () => {
    const user = await testUser();
    const other = await (await call("/login")).text();
    const browser = new Browser();
    const page = await (await browser.fetch("/login")).text();
    const csrf = hiddenValue(page, "csrf") ?? "";
    const form = { login: user.email, password: PASSWORD };
    const refused = [
      await browser.post("/login", form),
      await browser.post("/login", { ...form, csrf: hiddenValue(other, "csrf") ?? "" }),
      await browser.post(
        "/login",
        { ...form, csrf },
        { origin: "https://evil.example", "sec-fetch-site": "cross-site" },
      ),
      await browser.post("/login", { ...form, csrf }, { origin: "https://evil.example", "sec-fetch-site": "" }),
      await call("/login", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ ...form, csrf }).toString(),
      }),
    ];
    for (const answer of refused) {
      expect(answer.status).toBe(403);
      expect(await answer.text()).toContain("can only be sent from this server");
      expect(cookieOf(answer)).toBeUndefined();
    }
    expect(await sessionRows(user.id)).toEqual([]);
  });

  it("return_to goes only to this origin's /authorize: every open-redirect form lands on /account", async () => {
    const user = await testUser();
    for (const evil of [
      "//evil.example/authorize?x",
      "https://evil.example/authorize?x",
      "/\\evil.example/authorize?x",
      "/%2F%2Fevil.example",
      "/authorize/../%2F%2Fevil.example?x",
      "javascript:alert(1)",
      "/account",
    ]) {
      const browser = new Browser();
      const page = await (await browser.fetch("/login")).text();
      const answer = await browser.post("/login", {
        csrf: hiddenValue(page, "csrf") ?? "",
        login: user.email,
        password: PASSWORD,
        return_to: evil,
      });
      expect(answer.status, evil).toBe(303);
      expect(answer.headers.get("location"), evil).toBe("/account");
    }
  });

  it("many accounts from one address → 429 with Retry-After before any password is checked", async () => {
    const browser = new Browser();
    await awayFromWindowEdge(SIGN_IN_WINDOW_SECONDS, 10_000);
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let attempt = 0; attempt < 25 && limited === undefined; attempt++) {
      const answer = await browser.signIn(`spray-${attempt}@example.com`, "guessing a password here");
      statuses.push(answer.status);
      if (answer.status === 429) limited = answer;
    }
    expect(statuses.slice(0, 20).every((status) => status === 401)).toBe(true);
    expect(limited?.status).toBe(429);
    expect(limited?.headers.get("retry-after")).toBe("60");
    expect(await limited?.text()).toContain("Too many sign-in attempts");
  });

  it("one account from many addresses → 429 for that account, even with the right password", async () => {
    const user = await testUser();
    await awayFromWindowEdge(SIGN_IN_WINDOW_SECONDS, 10_000);
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 11; attempt++) {
      statuses.push((await new Browser().signIn(user.email, "guessing a password here")).status);
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses[10]).toBe(429);
    const right = await new Browser().signIn(user.email);
    expect(right.status).toBe(429);
    expect(right.headers.get("retry-after")).toBe("60");
    expect(await sessionRows(user.id)).toEqual([]);
    const rows = await eventually(
      () => readAudit(env.DB, { limit: 50 }),
      (found) => found.some((row) => row.outcome === "locked"),
    );
    expect(rows.some((row) => row.event === "sign_in" && row.outcome === "locked")).toBe(true);
  });
});

describe("sessions", () => {
  it("sign-out ends the session server-side and clears the cookie; it needs its CSRF token", async () => {
    const user = await testUser();
    const browser = new Browser();
    expect((await browser.signIn(user.email)).status).toBe(303);
    const id = browser.cookies.get("__Host-session") ?? "";
    const forged = await browser.post("/logout", { csrf: "forged" });
    expect(forged.status).toBe(403);
    expect(await sessionRows(user.id)).toHaveLength(1);
    const { csrfToken } = await import("@mcp-auth/auth-common/accounts");
    const answer = await browser.post("/logout", { csrf: await csrfToken(env.SESSION_SECRET, id, "logout") });
    expect(answer.status).toBe(303);
    expect(answer.headers.getSetCookie()[0]).toMatch(/^__Host-session=; .*Max-Age=0/);
    expect(await sessionRows(user.id)).toEqual([]);
    // The old cookie, replayed, signs nobody in.
    const replayed = await call(authorizePath(await registerClient()), { headers: { cookie: `__Host-session=${id}` } });
    expect(replayed.headers.get("location")).toMatch(/^\/login\?/);
  });

  it("an expired session signs nobody in", async () => {
    const user = await testUser();
    const browser = new Browser();
    await browser.signIn(user.email);
    await env.DB.prepare("UPDATE sessions SET expires_at = 1 WHERE user_id = ?").bind(user.id).run();
    const answer = await browser.fetch(authorizePath(await registerClient()));
    expect(answer.status).toBe(302);
    expect(answer.headers.get("location")).toMatch(/^\/login\?/);
  });

  it("disabling a user ends their sessions", async () => {
    const user = await testUser();
    const browser = new Browser();
    await browser.signIn(user.email);
    expect(await sessionRows(user.id)).toHaveLength(1);
    await setDisabled(env.DB, user.id, true);
    expect(await sessionRows(user.id)).toEqual([]);
  });
});

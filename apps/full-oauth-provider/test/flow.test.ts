import { csrfToken } from "@mcp-auth/auth-common/accounts";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { disableAccount, type GrantStore } from "../src/grants.ts";
import { ACCOUNT_CHECK_TTL_MS } from "../src/account-check.ts";
import { readAudit, setDisabled, type User } from "../src/users.ts";
import {
  Browser,
  ORIGIN,
  REDIRECT_URI,
  auditOf,
  authorizePath,
  call,
  eventually,
  exchangeCode,
  hiddenValue,
  refresh,
  registerClient,
  testUser,
} from "./helpers.ts";

interface Tokens {
  access_token: string;
  refresh_token: string;
  scope: string;
}

/** A signed-in browser for a fresh user. */
async function signedIn(): Promise<{ user: User; browser: Browser }> {
  const user = await testUser();
  const browser = new Browser();
  expect((await browser.signIn(user.email)).status).toBe(303);
  return { user, browser };
}

/** Opens /authorize signed in and answers the consent page; returns the redirect to the client. */
async function consent(
  browser: Browser,
  clientId: string,
  options: { scope?: string; decision?: "approve" | "deny"; tick?: string[]; csrf?: string } = {},
): Promise<URL> {
  const page = await browser.fetch(authorizePath(clientId, { scope: options.scope ?? "notes:read" }));
  expect(page.status).toBe(200);
  const html = await page.text();
  const answer = await browser.post("/authorize", {
    handle: hiddenValue(html, "handle") ?? "",
    csrf: options.csrf ?? hiddenValue(html, "csrf") ?? "",
    decision: options.decision ?? "approve",
    scope: options.tick ?? ["notes:read"],
  });
  expect(answer.status).toBe(302);
  return new URL(answer.headers.get("location") ?? "");
}

async function exchange(clientId: string, code: string): Promise<Tokens> {
  const response = await exchangeCode(clientId, code);
  expect(response.status).toBe(200);
  return response.json<Tokens>();
}

async function whoami(accessToken: string): Promise<Response> {
  return call("/mcp", {
    method: "POST",
    headers: {
      authorization: `Bearer ${accessToken}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2025-06-18",
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "whoami", arguments: {} } }),
  });
}

describe("the whole flow as this server's own user", () => {
  it("sign in → consent → code with iss → tokens → tools as that user", async () => {
    const { user, browser } = await signedIn();
    const clientId = await registerClient();
    const page = await browser.fetch(authorizePath(clientId));
    const html = await page.text();
    expect(html).toContain(user.email);
    expect(page.headers.get("content-security-policy")).toContain("form-action 'self' http://127.0.0.1:43210");
    const callback = await consent(browser, clientId);
    expect(callback.origin + callback.pathname).toBe(REDIRECT_URI);
    expect(callback.searchParams.get("state")).toBe("state-123");
    expect(callback.searchParams.get("iss")).toBe(ORIGIN);
    const tokens = await exchange(clientId, callback.searchParams.get("code") ?? "");
    expect(tokens.scope).toBe("notes:read");
    const answer = await whoami(tokens.access_token);
    expect(answer.status).toBe(200);
    const text = await answer.text();
    expect(text).toContain(user.id);
    expect(text).toContain("full-oauth-provider");
    expect(text).not.toContain(tokens.access_token);
  });

  it("Deny → access_denied with state and iss, and no grant", async () => {
    const { user, browser } = await signedIn();
    const callback = await consent(browser, await registerClient(), { decision: "deny" });
    expect(callback.searchParams.get("error")).toBe("access_denied");
    expect(callback.searchParams.get("iss")).toBe(ORIGIN);
    expect(callback.searchParams.has("code")).toBe(false);
    const { row } = await auditOf(user.id, (entry) => entry.event === "consent");
    expect(row?.outcome).toBe("denied");
  });

  it("only the scopes ticked are granted, even when the client asked for more", async () => {
    const { browser } = await signedIn();
    const clientId = await registerClient();
    const callback = await consent(browser, clientId, { scope: "notes:read notes:write", tick: ["notes:read"] });
    const tokens = await exchange(clientId, callback.searchParams.get("code") ?? "");
    expect(tokens.scope).toBe("notes:read");
  });

  it("consent CSRF: a POST with another session's token, or none, → 403 and the handle still works", async () => {
    const { browser } = await signedIn();
    const clientId = await registerClient();
    const html = await (await browser.fetch(authorizePath(clientId))).text();
    const handle = hiddenValue(html, "handle") ?? "";
    for (const csrf of ["", await csrfToken(env.SESSION_SECRET, "A".repeat(43), "consent")]) {
      const forged = await browser.post("/authorize", { handle, csrf, decision: "approve", scope: "notes:read" });
      expect(forged.status).toBe(403);
    }
    const real = await browser.post("/authorize", {
      handle,
      csrf: hiddenValue(html, "csrf") ?? "",
      decision: "approve",
      scope: "notes:read",
    });
    expect(real.status).toBe(302);
    expect(new URL(real.headers.get("location") ?? "").searchParams.has("code")).toBe(true);
  });

  it("remembered consent: the same client and scopes skip the page; more scopes bring it back", async () => {
    const { browser } = await signedIn();
    const clientId = await registerClient();
    await consent(browser, clientId);
    // The client opens the browser itself: Sec-Fetch-Site none (test/approvals.test.ts has the rest).
    const again = await browser.fetch(authorizePath(clientId), { headers: { "sec-fetch-site": "none" } });
    expect(again.status).toBe(302);
    expect(new URL(again.headers.get("location") ?? "").searchParams.has("code")).toBe(true);
    const stepUp = await browser.fetch(authorizePath(clientId, { scope: "notes:read notes:write" }));
    expect(stepUp.status).toBe(200);
    expect(await stepUp.text()).toContain('name="handle"');
  });

  it("remembered consent is per user: another account in the same browser is asked again", async () => {
    const { browser } = await signedIn();
    const clientId = await registerClient();
    await consent(browser, clientId);
    const other = await testUser();
    browser.cookies.delete("__Host-session");
    expect((await browser.signIn(other.email)).status).toBe(303);
    const page = await browser.fetch(authorizePath(clientId));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(other.email);
  });

  it("disabling the user: the access token is refused at once and the refresh is invalid_grant", async () => {
    const { user, browser } = await signedIn();
    const clientId = await registerClient();
    const callback = await consent(browser, clientId);
    const tokens = await exchange(clientId, callback.searchParams.get("code") ?? "");
    expect((await whoami(tokens.access_token)).status).toBe(200);
    expect(await disableAccount(env.DB, env.OAUTH_KV as unknown as GrantStore, user.id)).toBe(1);
    const refused = await whoami(tokens.access_token);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toContain('error="invalid_token"');
    const refreshed = await refresh(clientId, tokens.refresh_token);
    expect(refreshed.status).toBe(400);
    expect(await refreshed.json()).toMatchObject({ error: "invalid_grant" });
    // The grant is gone: enabling the user again does not bring this refresh token back.
    await setDisabled(env.DB, user.id, false);
    const after = await refresh(clientId, tokens.refresh_token);
    expect(after.status).toBe(400);
  });

  it("an account disabled in D1 whose grant revocation this location has not seen is refused within the check's TTL", async () => {
    const { user, browser } = await signedIn();
    const clientId = await registerClient();
    const tokens = await exchange(clientId, (await consent(browser, clientId)).searchParams.get("code") ?? "");
    expect((await whoami(tokens.access_token)).status).toBe(200);
    // D1 only, as if KV had not propagated the revocation yet: refresh reads D1 and refuses at once.
    await setDisabled(env.DB, user.id, true);
    const refreshed = await refresh(clientId, tokens.refresh_token);
    expect(refreshed.status).toBe(400);
    expect(await refreshed.json()).toMatchObject({ error: "invalid_grant" });
    // The invalid_grant also revoked the grant; a token of another grant shows the MCP check's bound.
    const second = await signedIn();
    const otherClient = await registerClient();
    const code = (await consent(second.browser, otherClient)).searchParams.get("code") ?? "";
    const other = await exchange(otherClient, code);
    expect((await whoami(other.access_token)).status).toBe(200);
    await setDisabled(env.DB, second.user.id, true);
    await new Promise((resolve) => setTimeout(resolve, ACCOUNT_CHECK_TTL_MS + 100));
    expect((await whoami(other.access_token)).status).toBe(401);
  });

  it("a replayed code is refused and lands in the audit log as a security event", async () => {
    const { browser } = await signedIn();
    const clientId = await registerClient();
    const code = (await consent(browser, clientId)).searchParams.get("code") ?? "";
    await exchange(clientId, code);
    const replay = await exchangeCode(clientId, code);
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: "invalid_grant" });
    expect(replay.headers.has("x-mcp-auth-provider-event")).toBe(false);
    const rows = await eventually(
      () => readAudit(env.DB, { limit: 200 }),
      (found) => found.some((row) => row.event === "security" && (row.detail ?? "").includes("/token invalid_grant")),
    );
    expect(rows.some((row) => row.event === "security" && (row.detail ?? "").startsWith("/token invalid_grant"))).toBe(
      true,
    );
  });

  it("the audit log has the flow's rows, none holding a secret", async () => {
    const { user, browser } = await signedIn();
    const clientId = await registerClient();
    const code = (await consent(browser, clientId)).searchParams.get("code") ?? "";
    const tokens = await exchange(clientId, code);
    await refresh(clientId, tokens.refresh_token);
    const { rows } = await auditOf(user.id, (entry) => entry.event === "grant_refreshed");
    const events = rows.map((row) => `${row.event}:${row.outcome}`);
    expect(events).toEqual(
      expect.arrayContaining(["sign_in:ok", "consent:approved", "grant_created:ok", "grant_refreshed:ok"]),
    );
    const all = JSON.stringify(await readAudit(env.DB, { limit: 10_000 }));
    for (const secret of [code, tokens.access_token, tokens.refresh_token, env.SESSION_SECRET, env.PASSWORD_PEPPER]) {
      expect(all).not.toContain(secret);
    }
    const registered = await readAudit(env.DB, { limit: 10_000 });
    expect(registered.some((row) => row.event === "client_registered" && row.clientId === clientId)).toBe(true);
  });
});

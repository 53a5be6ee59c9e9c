import { hashPassword, pepperFromSecret } from "@mcp-auth/auth-common/accounts";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { changePassword, listGrants, type GrantStore } from "../src/grants.ts";
import { findByEmail, readAudit, rehashPassword } from "../src/users.ts";
import { Browser, PASSWORD, authorizePath, connected, mcp, refresh } from "./helpers.ts";

// A credential change (users set-password): what it ends, and what it records.
const kv = env.OAUTH_KV as unknown as GrantStore;
const NEW_PASSWORD = "a new password nobody else knows";

async function newHash(password = NEW_PASSWORD): Promise<string> {
  return hashPassword(password, { current: await pepperFromSecret(env.PASSWORD_PEPPER) });
}

describe("a password change", () => {
  it("ends every session, every grant (401, invalid_grant) and every remembered approval; audited", async () => {
    const { user, browser, clientId, tokens } = await connected();
    const elsewhere = new Browser();
    expect((await elsewhere.signIn(user.email)).status).toBe(303);
    expect(await changePassword(env.DB, kv, user.id, await newHash(), { keepGrants: false, by: "cli" })).toBe(1);
    for (const signedIn of [browser, elsewhere]) {
      const account = await signedIn.fetch("/account");
      expect(account.status).toBe(303);
      expect(account.headers.get("location")).toBe("/login");
    }
    expect((await mcp(tokens.access_token)).status).toBe(401);
    const refreshed = await refresh(clientId, tokens.refresh_token);
    expect(refreshed.status).toBe(400);
    expect(await refreshed.json()).toMatchObject({ error: "invalid_grant" });
    expect(await listGrants(kv, user.id)).toEqual([]);
    // Signed in again with the new password, the app is asked for again: its approval ended too.
    const fresh = new Browser();
    expect((await fresh.signIn(user.email, PASSWORD)).status).toBe(401);
    expect((await fresh.signIn(user.email, NEW_PASSWORD)).status).toBe(303);
    const page = await fresh.fetch(authorizePath(clientId), { headers: { "sec-fetch-site": "none" } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('name="handle"');
    const rows = await readAudit(env.DB, { userId: user.id });
    expect(rows.find((row) => row.event === "password_set")).toMatchObject({
      outcome: "ok",
      detail: "cli; sessions ended; 1 grants revoked",
    });
  });

  it("with keepGrants ends the sessions and keeps the grants", async () => {
    const { user, browser, tokens } = await connected();
    expect(await changePassword(env.DB, kv, user.id, await newHash(), { keepGrants: true, by: "cli" })).toBe(0);
    expect((await browser.fetch("/account")).status).toBe(303);
    expect((await mcp(tokens.access_token)).status).toBe(200);
    const rows = await readAudit(env.DB, { userId: user.id });
    expect(rows.find((row) => row.event === "password_set")?.detail).toBe("cli; sessions ended; grants kept");
  });

  it("a rehash at sign-in never undoes a password change made meanwhile", async () => {
    const { user } = await connected();
    const before = (await findByEmail(env.DB, user.email))?.passwordHash ?? "";
    const changed = await newHash();
    await changePassword(env.DB, kv, user.id, changed, { keepGrants: true, by: "cli" });
    expect(await rehashPassword(env.DB, user.id, before, await newHash(PASSWORD))).toBe(false);
    expect((await findByEmail(env.DB, user.email))?.passwordHash).toBe(changed);
  });
});

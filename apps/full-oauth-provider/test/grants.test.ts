import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ACCOUNT_CHECK_TTL_MS } from "../src/account-check.ts";
import { disableAccount, listGrants, revokeGrant, type GrantStore } from "../src/grants.ts";
import { REVOKED_GRANT_KEEP_SECONDS, recordRevokedGrants } from "../src/users.ts";
import { auditOf, connectApp, connected, mcp, refresh, testUser } from "./helpers.ts";

// The CLI's view of grants (src/grants.ts, the library's documented KV layout) against grants
// the library itself issued through the whole flow.
const kv = env.OAUTH_KV as unknown as GrantStore;

describe("grants as the admin CLI sees them", () => {
  it("lists exactly the grants the library made for a user, with client and scopes", async () => {
    const { user, clientId } = await connected("Listed app");
    const grants = await listGrants(kv, user.id);
    expect(grants).toHaveLength(1);
    expect(grants[0]).toMatchObject({ userId: user.id, clientId, scope: ["notes:read"] });
    expect(grants[0]?.id).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(await listGrants(kv, (await testUser()).id)).toEqual([]);
    const everyone = await listGrants(kv);
    expect(everyone.some((grant) => grant.userId === user.id)).toBe(true);
  });

  it("revoking one ends it at once: its token is 401 and its refresh invalid_grant; other users' grants stay", async () => {
    const mine = await connected();
    const theirs = await connected();
    const [grant] = await listGrants(kv, mine.user.id);
    // Another user's id with this grant id changes nothing.
    expect(await revokeGrant(env.DB, kv, theirs.user.id, grant?.id ?? "")).toBeUndefined();
    expect(await revokeGrant(env.DB, kv, mine.user.id, "not-a-grant")).toBeUndefined();
    expect(await revokeGrant(env.DB, kv, mine.user.id, "../../x")).toBeUndefined();
    expect((await mcp(mine.tokens.access_token)).status).toBe(200);
    expect(await revokeGrant(env.DB, kv, mine.user.id, grant?.id ?? "")).toMatchObject({ id: grant?.id });
    expect((await mcp(mine.tokens.access_token)).status).toBe(401);
    const refreshed = await refresh(mine.clientId, mine.tokens.refresh_token);
    expect(refreshed.status).toBe(400);
    expect(await refreshed.json()).toMatchObject({ error: "invalid_grant" });
    expect((await mcp(theirs.tokens.access_token)).status).toBe(200);
    expect(await listGrants(kv, mine.user.id)).toEqual([]);
  });

  it("revoking writes D1 before KV: the grant's row is there, and the other user's grant has none", async () => {
    const mine = await connected();
    const theirs = await connected();
    const [grant] = await listGrants(kv, mine.user.id);
    expect(await revokeGrant(env.DB, kv, mine.user.id, grant?.id ?? "")).toMatchObject({ id: grant?.id });
    const rows = await env.DB.prepare("SELECT grant_id, user_id FROM revoked_grants WHERE user_id IN (?, ?)")
      .bind(mine.user.id, theirs.user.id)
      .all<{ grant_id: string; user_id: string }>();
    expect(rows.results).toEqual([{ grant_id: grant?.id, user_id: mine.user.id }]);
  });
});

describe("disabling an account", () => {
  it("records every grant of the account in D1 and deletes them from KV; another user's stay", async () => {
    const { user, browser } = await connected("First app");
    await connectApp(browser, "Second app");
    const other = await connected();
    const ids = (await listGrants(kv, user.id)).map((grant) => grant.id).sort();
    expect(ids).toHaveLength(2);
    expect(await disableAccount(env.DB, kv, user.id)).toBe(2);
    const rows = await env.DB.prepare("SELECT grant_id, user_id FROM revoked_grants WHERE user_id IN (?, ?)")
      .bind(user.id, other.user.id)
      .all<{ grant_id: string; user_id: string }>();
    expect(rows.results.map((row) => row.grant_id).sort()).toEqual(ids);
    expect(rows.results.every((row) => row.user_id === user.id)).toBe(true);
    expect(await listGrants(kv, user.id)).toEqual([]);
    expect((await mcp(other.tokens.access_token)).status).toBe(200);
  });
});

describe("a grant revoked where KV has not caught up yet", () => {
  // D1 only, as another location sees a revocation before KV's cached copy there expires (up to
  // a minute): the library still finds the grant and its tokens in KV.
  it("/mcp refuses its token within the check's TTL, while KV still holds the grant", async () => {
    const first = await connected();
    const [grant] = await listGrants(kv, first.user.id);
    expect((await mcp(first.tokens.access_token)).status).toBe(200);
    await recordRevokedGrants(env.DB, first.user.id, [grant?.id ?? ""]);
    expect(await listGrants(kv, first.user.id)).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, ACCOUNT_CHECK_TTL_MS + 100));
    const refused = await mcp(first.tokens.access_token);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toContain('error="invalid_token"');
    expect(await refused.text()).not.toContain(first.tokens.access_token);
  });

  it("its refresh is invalid_grant at once (no cache), audited as grant_revoked", async () => {
    const { user, clientId, tokens } = await connected();
    const [grant] = await listGrants(kv, user.id);
    await recordRevokedGrants(env.DB, user.id, [grant?.id ?? ""]);
    const refreshed = await refresh(clientId, tokens.refresh_token);
    expect(refreshed.status).toBe(400);
    expect(await refreshed.json()).toEqual({ error: "invalid_grant", error_description: "This grant was revoked." });
    const { row } = await auditOf(user.id, (entry) => entry.event === "grant_refreshed" && entry.outcome === "refused");
    expect(row).toMatchObject({
      outcome: "refused",
      grantId: grant?.id,
      detail: "grant_revoked",
    });
  });

  it("the same grant id under another user revokes nothing of theirs", async () => {
    const mine = await connected();
    const theirs = await connected();
    const [grant] = await listGrants(kv, theirs.user.id);
    await recordRevokedGrants(env.DB, mine.user.id, [grant?.id ?? ""]);
    await new Promise((resolve) => setTimeout(resolve, ACCOUNT_CHECK_TTL_MS + 100));
    expect((await mcp(theirs.tokens.access_token)).status).toBe(200);
  });

  it("rows older than a day are pruned when the next is written", async () => {
    const { user } = await connected();
    const old = Math.floor(Date.now() / 1000) - REVOKED_GRANT_KEEP_SECONDS - 60;
    await env.DB.prepare("INSERT INTO revoked_grants (grant_id, user_id, revoked_at) VALUES (?, ?, ?)")
      .bind("old-grant", user.id, old)
      .run();
    await recordRevokedGrants(env.DB, user.id, ["new-grant"]);
    const rows = await env.DB.prepare("SELECT grant_id FROM revoked_grants WHERE user_id = ? ORDER BY grant_id")
      .bind(user.id)
      .all<{ grant_id: string }>();
    expect(rows.results.map((row) => row.grant_id)).toEqual(["new-grant"]);
  });
});

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { listGrants, revokeGrant, type GrantStore } from "../src/grants.ts";
import { connected, mcp, testUser, token } from "./helpers.ts";

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
    expect(await revokeGrant(kv, theirs.user.id, grant?.id ?? "")).toBe(false);
    expect(await revokeGrant(kv, mine.user.id, "not-a-grant")).toBe(false);
    expect(await revokeGrant(kv, mine.user.id, "../../x")).toBe(false);
    expect((await mcp(mine.tokens.access_token)).status).toBe(200);
    expect(await revokeGrant(kv, mine.user.id, grant?.id ?? "")).toBe(true);
    expect((await mcp(mine.tokens.access_token)).status).toBe(401);
    const refresh = await token({
      grant_type: "refresh_token",
      refresh_token: mine.tokens.refresh_token,
      client_id: mine.clientId,
    });
    expect(refresh.status).toBe(400);
    expect(await refresh.json()).toMatchObject({ error: "invalid_grant" });
    expect((await mcp(theirs.tokens.access_token)).status).toBe(200);
    expect(await listGrants(kv, mine.user.id)).toEqual([]);
  });
});

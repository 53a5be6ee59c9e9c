import { sha256Hex } from "@mcp-auth/auth-common";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ACCOUNT_CHECK_TTL_MS } from "../src/account-check.ts";
import { listGrants, type GrantStore } from "../src/grants.ts";
import { readAudit, recordRevokedToken } from "../src/users.ts";
import { auditOf, connected, mcp, refresh, registerClient, token } from "./helpers.ts";

// RFC 7009 revocation at /token (src/revocation.ts): the library revokes, this app records it in
// D1 (the /mcp fast path) and the audit log.
const kv = env.OAUTH_KV as unknown as GrantStore;

const revoke = (clientId: string, value: string, hint?: string) =>
  token({ token: value, client_id: clientId, ...(hint === undefined ? {} : { token_type_hint: hint }) });

const count = async (table: "revoked_grants" | "revoked_tokens", column: string, value: string) =>
  (await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE ${column} = ?`).bind(value).first<{ n: number }>())
    ?.n ?? 0;

describe("RFC 7009 revocation at /token", () => {
  it("a revoked refresh token ends its grant: recorded in D1 and audited with the client", async () => {
    const { user, clientId, tokens } = await connected();
    const [grant] = await listGrants(kv, user.id);
    const answer = await revoke(clientId, tokens.refresh_token, "refresh_token");
    expect(answer.status).toBe(200);
    expect(await count("revoked_grants", "grant_id", grant?.id ?? "")).toBe(1);
    expect((await mcp(tokens.access_token)).status).toBe(401);
    const { row } = await auditOf(user.id, (entry) => entry.event === "grant_revoked");
    expect(row).toMatchObject({
      outcome: "ok",
      clientId,
      grantId: grant?.id,
      detail: "token_endpoint",
    });
  });

  it("a revoked access token is recorded by its hash alone, audited, and the grant's refresh still works", async () => {
    const { user, clientId, tokens } = await connected();
    const [grant] = await listGrants(kv, user.id);
    expect((await revoke(clientId, tokens.access_token)).status).toBe(200);
    const row = await env.DB.prepare("SELECT * FROM revoked_tokens WHERE user_id = ?").bind(user.id).first();
    expect(row).toMatchObject({ token_hash: await sha256Hex(tokens.access_token), user_id: user.id });
    expect(JSON.stringify(row)).not.toContain(tokens.access_token);
    expect(await count("revoked_grants", "grant_id", grant?.id ?? "")).toBe(0);
    expect((await mcp(tokens.access_token)).status).toBe(401);
    expect((await refresh(clientId, tokens.refresh_token)).status).toBe(200);
    const { row: audited } = await auditOf(user.id, (entry) => entry.event === "token_revoked");
    expect(audited).toMatchObject({
      outcome: "ok",
      clientId,
      grantId: grant?.id,
      detail: "token_endpoint",
    });
  });

  it("/mcp refuses an access token revoked in D1 within the check's TTL, while KV still holds it", async () => {
    const { user, tokens } = await connected();
    expect((await mcp(tokens.access_token)).status).toBe(200);
    await recordRevokedToken(env.DB, user.id, await sha256Hex(tokens.access_token));
    await new Promise((resolve) => setTimeout(resolve, ACCOUNT_CHECK_TTL_MS + 100));
    const refused = await mcp(tokens.access_token);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });

  it("another client's revocation, an unknown token and a malformed one change nothing and record nothing", async () => {
    const { user, tokens } = await connected();
    const stranger = await registerClient();
    for (const value of [tokens.refresh_token, tokens.access_token, `${user.id}:nope:x`, "not-a-token", "a:b:c:d"]) {
      expect((await revoke(stranger, value)).status).toBe(200);
    }
    expect((await mcp(tokens.access_token)).status).toBe(200);
    expect(await count("revoked_tokens", "user_id", user.id)).toBe(0);
    expect(await count("revoked_grants", "user_id", user.id)).toBe(0);
    const rows = await readAudit(env.DB, { userId: user.id });
    expect(rows.filter((row) => row.event === "token_revoked" || row.event === "grant_revoked")).toEqual([]);
  });
});

import { sha256Hex } from "@mcp-auth/auth-common";
import { REUSE_DESCRIPTION, describeRefreshReuse } from "@mcp-auth/auth-common/testing";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { listGrants, type GrantStore } from "../src/grants.ts";
import { readAudit } from "../src/users.ts";
import { auditOf, call, connected, eventually, refresh, type Tokens } from "./helpers.ts";

// Refresh-token reuse (auth-common's RefreshLedger): the same cases as oauth-proxy's, each with
// a user and app of its own; and what only this app has, the audit rows and the D1 record.
describeRefreshReuse({
  call,
  ledgers: env.REFRESH_LEDGER,
  grant: async () => {
    const { clientId, tokens } = await connected();
    return { clientId, accessToken: tokens.access_token, refreshToken: tokens.refresh_token };
  },
});

const kv = env.OAUTH_KV as unknown as GrantStore;

describe("a reused refresh token, recorded", () => {
  it("audit refresh_reuse_detected and grant_revoked refresh_reuse with client, grant and address; the grant in revoked_grants; no token anywhere", async () => {
    const { user, clientId, tokens } = await connected();
    const [grant] = await listGrants(kv, user.id);
    const t1 = await (await refresh(clientId, tokens.refresh_token)).json<Tokens>();
    expect((await refresh(clientId, t1.refresh_token)).status).toBe(200);
    const reused = await call(
      "/token",
      {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "refresh_token",
          refresh_token: tokens.refresh_token,
          client_id: clientId,
        }),
      },
      "198.51.100.77",
    );
    expect(reused.status).toBe(400);
    expect(await reused.json()).toEqual({ error: "invalid_grant", error_description: REUSE_DESCRIPTION });

    const { row } = await auditOf(user.id, (entry) => entry.event === "refresh_reuse_detected");
    expect(row).toMatchObject({
      outcome: "refused",
      clientId,
      grantId: grant?.id,
      address: "198.51.100.77",
    });
    const { row: revoked } = await auditOf(user.id, (entry) => entry.event === "grant_revoked");
    expect(revoked).toMatchObject({ outcome: "ok", clientId, grantId: grant?.id, detail: "refresh_reuse" });
    const recorded = await eventually(
      () =>
        env.DB.prepare("SELECT COUNT(*) AS n FROM revoked_grants WHERE grant_id = ?")
          .bind(grant?.id ?? "")
          .first<{ n: number }>(),
      (found) => (found?.n ?? 0) === 1,
    );
    expect(recorded?.n).toBe(1);
    const rows = JSON.stringify(await readAudit(env.DB, { userId: user.id }));
    for (const secret of [tokens.refresh_token, t1.refresh_token, await sha256Hex(tokens.refresh_token)]) {
      expect(rows).not.toContain(secret);
    }
  });
});

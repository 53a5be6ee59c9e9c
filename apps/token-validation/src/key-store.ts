import type { ApiKeyRecord, ApiKeyStore } from "@mcp-auth/auth-common";
import { usageDay } from "./usage-day.ts";

interface ApiKeyRow {
  id: string;
  hash: string;
  owner: string;
  scopes: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

/** API keys in D1: strongly consistent, so a revocation holds from the next request on. */
export function d1KeyStore(db: D1Database): ApiKeyStore {
  return {
    async findByHash(hash) {
      const row = await db.prepare("SELECT * FROM api_keys WHERE hash = ?").bind(hash).first<ApiKeyRow>();
      if (row === null) return null;
      const record: ApiKeyRecord = {
        id: row.id,
        hash: row.hash,
        owner: row.owner,
        scopes: row.scopes.split(" ").filter((scope) => scope.length > 0),
        createdAt: row.created_at,
        expiresAt: row.expires_at,
        revokedAt: row.revoked_at,
      };
      return record;
    },
  };
}

/**
 * Counts one use of a key. A single atomic upsert, never read-then-write, so concurrent
 * requests never lose a count.
 */
export async function countKeyUse(db: D1Database, keyId: string, now: number): Promise<void> {
  await db
    .prepare(
      "INSERT INTO api_key_usage (key_id, day, count) VALUES (?, ?, 1) ON CONFLICT (key_id, day) DO UPDATE SET count = count + 1",
    )
    .bind(keyId, usageDay(now))
    .run();
}

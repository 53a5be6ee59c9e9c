// The one module that reads and writes API keys: the Worker (through the per-key Durable Object)
// and the key CLI (through wrangler's binding proxy) both call these functions, so a column, a
// bucket or a rule exists once. Every value is a bound parameter; no SQL is assembled from input.
import type { SqlDatabase, SqlStatement } from "@mcp-auth/auth-common";
import { generateApiKey, type ApiKeyRecord } from "@mcp-auth/auth-common/verifiers";
import { usageDay } from "./usage-day.ts";

/** The key tables' database: the Worker's D1 binding, or the CLI's binding proxy. */
export type KeyDatabase = SqlDatabase;

/**
 * How long a key's Durable Object may serve a record it read from D1 (src/key-object.ts), leases
 * to isolates included (each ends before this bound does). Revoke and rotate resolve only after
 * this long, so a request sent after they return is judged on the new record.
 */
export const RECORD_MAX_AGE_MS = 2000;

/** Waits until every record read before now is too old to be served (plus timer slack). */
function outlastCachedRecords(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, RECORD_MAX_AGE_MS + 100));
}

/** What listings show about a key: never its hash. */
export interface KeySummary extends KeyRow {
  /** Uses counted today (UTC), as last written by the key's Durable Object. */
  today: number;
}

/** A key as created: the only time the key itself exists outside the caller's hands. */
export interface CreatedKey {
  id: string;
  key: string;
  owner: string;
  scopes: string[];
  expiresAt: number | null;
}

interface KeyRow {
  id: string;
  owner: string;
  scopes: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

/** Scopes as stored: one space-separated string. */
function scopeList(stored: string): string[] {
  return stored.split(" ").filter((scope) => scope.length > 0);
}

/** The record for a key hash (D1 is authoritative), or null when no key has that hash. */
export async function findKeyByHash(db: KeyDatabase, hash: string): Promise<ApiKeyRecord | null> {
  const row = await db
    .prepare("SELECT id, owner, scopes, created_at, expires_at, revoked_at FROM api_keys WHERE hash = ?")
    .bind(hash)
    .first<KeyRow>();
  if (row === null) return null;
  return {
    id: row.id,
    hash,
    owner: row.owner,
    scopes: scopeList(row.scopes),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}

/** The statement that stores a fresh key copying owner, scopes and expiry from `from` (rotate). */
function insertKey(
  db: KeyDatabase,
  key: { id: string; hash: string; owner: string; scopes: string; expiresAt: number | null },
  now: number,
): SqlStatement {
  return db
    .prepare(
      "INSERT INTO api_keys (id, hash, owner, scopes, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, NULL)",
    )
    .bind(key.id, key.hash, key.owner, key.scopes, now, key.expiresAt);
}

/** Creates a key. The key is returned once and never stored: only its SHA-256 is. */
export async function createKey(
  db: KeyDatabase,
  options: { owner: string; scopes: readonly string[]; expiresAt: number | null; now: number },
): Promise<CreatedKey> {
  const { key, id, hash } = await generateApiKey();
  await insertKey(
    db,
    { id, hash, owner: options.owner, scopes: options.scopes.join(" "), expiresAt: options.expiresAt },
    options.now,
  ).run();
  return { id, key, owner: options.owner, scopes: [...options.scopes], expiresAt: options.expiresAt };
}

/** Every key, oldest first, with today's count. Never selects the hash column. */
export async function listKeys(db: KeyDatabase, now: number): Promise<KeySummary[]> {
  const { results } = await db
    .prepare(
      "SELECT k.id, k.owner, k.scopes, k.created_at, k.expires_at, k.revoked_at, COALESCE(u.count, 0) AS today FROM api_keys k LEFT JOIN api_key_usage u ON u.key_id = k.id AND u.day = ? ORDER BY k.created_at, k.id",
    )
    .bind(usageDay(now))
    .all<KeySummary>();
  return results;
}

/** One key's listing row, or null. */
export async function getKey(db: KeyDatabase, id: string): Promise<Omit<KeySummary, "today"> | null> {
  return db
    .prepare("SELECT id, owner, scopes, created_at, expires_at, revoked_at FROM api_keys WHERE id = ?")
    .bind(id)
    .first<KeyRow>();
}

/**
 * Revokes a key; false when it does not exist or was revoked already. Resolves once no request
 * can be served with it any more (see {@link RECORD_MAX_AGE_MS}).
 */
export async function revokeKey(db: KeyDatabase, id: string, now: number): Promise<boolean> {
  const { meta } = await db
    .prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
    .bind(now, id)
    .run();
  if (meta.changes !== 1) return false;
  await outlastCachedRecords();
  return true;
}

/**
 * Replaces a live key with a new one (same owner, scopes and expiry) and revokes the old one, in
 * one D1 batch (a transaction): either both happen or neither. Null when the old key does not
 * exist or is already revoked; then nothing is written. Like {@link revokeKey}, resolves once the
 * old key is refused everywhere.
 */
export async function rotateKey(db: KeyDatabase, id: string, now: number): Promise<CreatedKey | null> {
  const old = await getKey(db, id);
  if (old === null || old.revoked_at !== null) return null;
  const fresh = await generateApiKey();
  // The insert copies from the old row only while it is unrevoked, and the update revokes it only
  // then: a concurrent revoke or rotate between the read above and this batch leaves nothing behind.
  const [inserted, revoked] = await db.batch([
    db
      .prepare(
        "INSERT INTO api_keys (id, hash, owner, scopes, created_at, expires_at, revoked_at) SELECT ?, ?, owner, scopes, ?, expires_at, NULL FROM api_keys WHERE id = ? AND revoked_at IS NULL",
      )
      .bind(fresh.id, fresh.hash, now, id),
    db.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL").bind(now, id),
  ]);
  if (inserted?.meta.changes !== 1 || revoked?.meta.changes !== 1) return null;
  await outlastCachedRecords();
  return { id: fresh.id, key: fresh.key, owner: old.owner, scopes: scopeList(old.scopes), expiresAt: old.expires_at };
}

/** Per-day counts of one key for the last `days` days (today included), oldest first. */
export async function keyUsage(
  db: KeyDatabase,
  id: string,
  days: number,
  now: number,
): Promise<{ day: string; count: number }[]> {
  const { results } = await db
    .prepare("SELECT day, count FROM api_key_usage WHERE key_id = ? AND day >= ? ORDER BY day")
    .bind(id, usageDay(now - (days - 1) * 86_400_000))
    .all<{ day: string; count: number }>();
  return results;
}

/**
 * Writes a key's exact count for a day, as its Durable Object holds it. An absolute value, not an
 * increment: writing the same count twice (a retried flush) cannot double it, and a later flush
 * never lowers a count (the object only ever grows it).
 */
export function writeUsageStatement(db: KeyDatabase, id: string, day: string, count: number): SqlStatement {
  return db
    .prepare(
      "INSERT INTO api_key_usage (key_id, day, count) VALUES (?, ?, ?) ON CONFLICT (key_id, day) DO UPDATE SET count = MAX(count, excluded.count)",
    )
    .bind(id, day, count);
}

import { AuthError, type ApiKeyRecord, type ApiKeyStore } from "@mcp-auth/auth-common";
import { DurableObject } from "cloudflare:workers";
import { RECORD_MAX_AGE_MS, findKeyByHash, writeUsageStatement, type KeyDatabase } from "./key-store.ts";
import { usageDay } from "./usage-day.ts";

/** Requests one API key may make per window (the per-key limit). */
export const KEY_LIMIT = 600;
/** The per-key limit's window, aligned to the clock (as the Workers rate-limit binding counts). */
export const KEY_WINDOW_SECONDS = 60;
/** How soon after a use the day's count is copied to D1, where `keys list` and `keys usage` read it. */
const FLUSH_DELAY_MS = 1000;

/** The answer to one use of a key: its record (as D1 held it at most RECORD_MAX_AGE_MS ago) and the limit decision. */
export interface Admission {
  record: ApiKeyRecord | null;
  /** Seconds until the key's window resets, when this use was over the limit (and not counted). */
  limitedForSeconds?: number;
}

/**
 * One object per API key (named by the key's SHA-256): the record, the day's use count and the
 * per-key limit in one round trip from the Worker.
 *
 * Why counts are exact: an object runs one event at a time and each use is one synchronous SQLite
 * upsert in its own storage, so concurrent requests with one key are serialized here; the count
 * is durable before the response leaves. D1 gets the day's absolute count shortly after (an
 * alarm), so a lost or repeated copy never changes the number.
 *
 * Why a revoked key fails on the next request: D1, which the key CLI writes, is authoritative.
 * The object serves a record it read from D1 for at most RECORD_MAX_AGE_MS, counted from before
 * the read began, and the CLI's revoke and rotate return only after that long. So any request sent
 * after the CLI has returned finds the record older than that bound and reads D1 again.
 * Deployed, this is one Worker → object hop per request, plus one D1 read per key every
 * RECORD_MAX_AGE_MS while it is in use (and when the object starts).
 */
export class ApiKeyObject extends DurableObject<Env> {
  private flushScheduled = false;
  private keyId: string | undefined;
  /** The record read (or being read) from D1, and when that read began. */
  private cached: { readAt: number; record: Promise<ApiKeyRecord | null> } | undefined;

  private schemaReady = false;

  /**
   * Creates the object's tables on its first counted use, not in the constructor: an unknown or
   * revoked key (anyone can present one) must leave no stored object behind.
   */
  private ensureSchema(): void {
    if (this.schemaReady) return;
    this.ctx.storage.sql.exec(
      `CREATE TABLE IF NOT EXISTS usage (day TEXT PRIMARY KEY, count INTEGER NOT NULL, copied INTEGER NOT NULL DEFAULT 0);
       CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
       CREATE TABLE IF NOT EXISTS limit_window (id INTEGER PRIMARY KEY CHECK (id = 1), start INTEGER NOT NULL, count INTEGER NOT NULL);`,
    );
    this.schemaReady = true;
  }

  /**
   * One use of the key whose SHA-256 is `hash`: its record, and for a live key (not revoked,
   * not expired) the limit decision; a use within the limit is counted.
   */
  async admit(hash: string): Promise<Admission> {
    const record = await this.record(hash);
    const now = Date.now();
    if (record === null || record.revokedAt !== null || (record.expiresAt !== null && record.expiresAt <= now)) {
      return { record };
    }
    this.ensureSchema();
    const sql = this.ctx.storage.sql;
    const windowStart = now - (now % (KEY_WINDOW_SECONDS * 1000));
    const window = sql
      .exec<{ start: number; count: number }>("SELECT start, count FROM limit_window WHERE id = 1")
      .toArray()[0];
    const used = window?.start === windowStart ? window.count : 0;
    if (used >= KEY_LIMIT) {
      return { record, limitedForSeconds: Math.ceil((windowStart + KEY_WINDOW_SECONDS * 1000 - now) / 1000) };
    }
    sql.exec(
      "INSERT INTO limit_window (id, start, count) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET start = excluded.start, count = excluded.count",
      windowStart,
      used + 1,
    );
    sql.exec(
      "INSERT INTO usage (day, count) VALUES (?, 1) ON CONFLICT (day) DO UPDATE SET count = count + 1",
      usageDay(now),
    );
    if (this.keyId !== record.id) {
      this.keyId = record.id;
      sql.exec("INSERT OR REPLACE INTO meta (name, value) VALUES ('key_id', ?)", record.id);
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      await this.ctx.storage.setAlarm(now + FLUSH_DELAY_MS);
    }
    return { record };
  }

  /**
   * The key's record, read from D1 again once the last read began RECORD_MAX_AGE_MS ago or more.
   * Requests that arrive while a read is under way share it (it is younger than the bound).
   */
  private record(hash: string): Promise<ApiKeyRecord | null> {
    const now = Date.now();
    if (this.cached === undefined || now - this.cached.readAt >= RECORD_MAX_AGE_MS) {
      const record = findKeyByHash(this.env.KEYS_DB, hash);
      const cached = { readAt: now, record };
      this.cached = cached;
      // A failed read is not kept: the next request tries D1 again.
      record.catch(() => {
        if (this.cached === cached) this.cached = undefined;
      });
    }
    return this.cached.record;
  }

  /** Copies every day's count that D1 has not seen yet. A failure throws: the alarm is retried. */
  override async alarm(): Promise<void> {
    this.flushScheduled = false;
    this.ensureSchema();
    const sql = this.ctx.storage.sql;
    const keyId = sql.exec<{ value: string }>("SELECT value FROM meta WHERE name = 'key_id'").toArray()[0]?.value;
    const pending = sql
      .exec<{ day: string; count: number }>("SELECT day, count FROM usage WHERE count > copied")
      .toArray();
    if (keyId === undefined || pending.length === 0) return;
    const db: KeyDatabase = this.env.KEYS_DB;
    await db.batch(pending.map(({ day, count }) => writeUsageStatement(db, keyId, day, count)));
    for (const { day, count } of pending) sql.exec("UPDATE usage SET copied = ? WHERE day = ?", count, day);
  }
}

/**
 * The API-key store the Worker's verifier uses: one call to the key's object, which reads the
 * record, applies the per-key limit and counts the use. Over the limit it refuses with a coded
 * `rate_limited` error (429 with `Retry-After`), the answer auth-common gives for a key's limit;
 * when the record cannot be read, `temporarily_unavailable` (503), never a 401.
 */
export function durableKeyStore(namespace: DurableObjectNamespace<ApiKeyObject>): ApiKeyStore {
  return {
    async findByHash(hash) {
      let admission: Admission;
      try {
        admission = await namespace.get(namespace.idFromName(hash)).admit(hash);
      } catch (error) {
        // The record cannot be read (D1 or the object is down): fail closed, and say it is temporary.
        throw new AuthError("temporarily_unavailable", "API keys cannot be checked right now; retry shortly.", {
          retryAfterSeconds: 5,
          cause: error,
        });
      }
      if (admission.limitedForSeconds !== undefined) {
        throw new AuthError(
          "rate_limited",
          `Too many requests with this API key; retry after ${admission.limitedForSeconds} seconds.`,
          { retryAfterSeconds: admission.limitedForSeconds },
        );
      }
      return admission.record;
    },
  };
}

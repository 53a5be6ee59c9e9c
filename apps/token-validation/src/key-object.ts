import type { ApiKeyRecord } from "@mcp-auth/auth-common/verifiers";
import { DurableObject } from "cloudflare:workers";
import { RECORD_MAX_AGE_MS, findKeyByHash, writeUsageStatement, type KeyDatabase } from "./key-store.ts";
import { usageDay } from "./usage-day.ts";

/** Requests one API key may make per window (the per-key limit). */
export const KEY_LIMIT = 600;
/** The per-key limit's window, aligned to the clock (as the Workers rate-limit binding counts). */
export const KEY_WINDOW_SECONDS = 60;
/** The longest a Worker isolate may admit uses of a key on its own (a lease), and so the longest its uses wait to be counted. */
export const LEASE_MAX_MS = 1000;
/** The most uses one lease may carry. */
export const LEASE_MAX_USES = 64;
/** How soon after a use the day's count is copied to D1, where `keys list` and `keys usage` read it. */
const FLUSH_DELAY_MS = 1000;
/** Open leases older than this are dropped: their isolate is gone, their window long over. */
const LEASE_FORGET_MS = 2 * KEY_WINDOW_SECONDS * 1000;

/** What a Worker asks for: `take` uses (the first one is being made now), and the account of its previous lease. */
export interface LeaseRequest {
  take: number;
  settle?: LeaseAccount;
}

/** A finished lease: how many of its uses were made. */
export interface LeaseAccount {
  id: string;
  used: number;
}

/** The answer to a lease request. */
export interface LeaseAnswer {
  /** The key's record, as D1 held it at most `ageMs` before this answer. */
  record: ApiKeyRecord | null;
  /** How long ago the read of `record` from D1 began. */
  ageMs: number;
  /** Seconds until the key's window resets, when it has no use left (nothing is granted or counted). */
  limitedForSeconds?: number;
  /**
   * For a live key within its limit: the uses granted (≥ 1, the first counted already), for how
   * long (ms from this answer), and, when more than one, the id to settle the lease by.
   */
  lease?: { uses: number; ms: number; id?: string };
}

/**
 * One object per API key (named by the key's SHA-256): the record, the day's use count and the
 * per-key limit, handed out to Worker isolates as **leases**.
 *
 * A lease is "up to N uses until T", reserved in the key's window before it is granted. The Worker
 * that holds it admits those uses without another round trip, then settles it (how many it used)
 * with its next request or when it ends; unused reservations return to the window. So:
 *
 * - **The limit is exact.** Every admitted use was reserved here first, and a lease ends before its
 *   window does, so no window ever admits more than KEY_LIMIT. A grant is at most a quarter of what
 *   is left, so isolates holding leases cannot starve another for long (a lease lasts ≤ 1 s).
 * - **Counts are exact.** The first use of every lease is counted when it is granted; the rest when
 *   it is settled, once (settling is by lease id, so a repeated settlement is a no-op). An object
 *   runs one event at a time and each change is a synchronous SQLite statement, so concurrent
 *   requests and settlements never lose an update. Uses show up to LEASE_MAX_MS later; an isolate
 *   that dies holding a lease loses at most that lease's uncounted uses (its reservation stays
 *   counted, so the limit errs on the safe side).
 * - **Revocation on the next request.** D1, which the key CLI writes, is authoritative. The object
 *   serves a record it read from D1 for at most RECORD_MAX_AGE_MS, counted from before the read,
 *   and a lease ends before that bound does; the CLI's revoke and rotate return only after that
 *   long. So any request sent after the CLI has returned is judged on a record read after the write.
 *
 * D1 gets the day's absolute count shortly after (an alarm), so a lost or repeated copy never
 * changes the number. Deployed, this is about one Worker → object round trip per busy key per
 * isolate per second, plus one D1 read per key every RECORD_MAX_AGE_MS while it is in use.
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
       CREATE TABLE IF NOT EXISTS limit_window (id INTEGER PRIMARY KEY CHECK (id = 1), start INTEGER NOT NULL, count INTEGER NOT NULL);
       CREATE TABLE IF NOT EXISTS lease (id TEXT PRIMARY KEY, window_start INTEGER NOT NULL, day TEXT NOT NULL, uses INTEGER NOT NULL, granted_at INTEGER NOT NULL);`,
    );
    this.schemaReady = true;
  }

  /**
   * One use of the key whose SHA-256 is `hash`, and up to `take - 1` more for the asking isolate
   * to admit on its own: the record, and for a live key (not revoked, not expired) the limit
   * decision. The previous lease's account, if given, is settled first, whatever the record says
   * now (its uses were made).
   */
  async lease(hash: string, request: LeaseRequest): Promise<LeaseAnswer> {
    const cached = this.record(hash);
    const record = await cached.record;
    const now = Date.now();
    const ageMs = Math.max(0, now - cached.readAt);
    if (request.settle !== undefined) this.applySettlement(request.settle, now);
    if (record === null || record.revokedAt !== null || (record.expiresAt !== null && record.expiresAt <= now)) {
      return { record, ageMs };
    }
    this.ensureSchema();
    const sql = this.ctx.storage.sql;
    const windowMs = KEY_WINDOW_SECONDS * 1000;
    const windowStart = now - (now % windowMs);
    const used = this.windowCount(windowStart);
    const left = KEY_LIMIT - used;
    if (left <= 0) {
      return { record, ageMs, limitedForSeconds: Math.ceil((windowStart + windowMs - now) / 1000) };
    }
    const take = Math.min(Math.max(1, Math.floor(request.take)), LEASE_MAX_USES);
    const uses = Math.min(take, Math.max(1, Math.floor(left / 4)));
    const ms = Math.min(
      LEASE_MAX_MS,
      RECORD_MAX_AGE_MS - ageMs,
      windowStart + windowMs - now,
      record.expiresAt === null ? LEASE_MAX_MS : record.expiresAt - now,
    );
    sql.exec(
      "INSERT INTO limit_window (id, start, count) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET start = excluded.start, count = excluded.count",
      windowStart,
      used + uses,
    );
    const day = usageDay(now);
    this.count(day, 1);
    let id: string | undefined;
    if (uses > 1) {
      id = crypto.randomUUID();
      sql.exec("DELETE FROM lease WHERE granted_at < ?", now - LEASE_FORGET_MS);
      sql.exec(
        "INSERT INTO lease (id, window_start, day, uses, granted_at) VALUES (?, ?, ?, ?, ?)",
        id,
        windowStart,
        day,
        uses,
        now,
      );
    }
    if (this.keyId !== record.id) {
      this.keyId = record.id;
      sql.exec("INSERT OR REPLACE INTO meta (name, value) VALUES ('key_id', ?)", record.id);
    }
    await this.scheduleFlush(now);
    return { record, ageMs, lease: { uses, ms: Math.max(0, ms), ...(id === undefined ? {} : { id }) } };
  }

  /** Settles a lease on its own (it ended with no request to carry the account). */
  async settle(account: LeaseAccount): Promise<void> {
    const now = Date.now();
    if (this.applySettlement(account, now)) await this.scheduleFlush(now);
  }

  /**
   * Counts a lease's uses after its first (counted when granted) and returns its unused uses to
   * its window. A lease settled before, or unknown, changes nothing. True when something changed.
   */
  private applySettlement(account: LeaseAccount, now: number): boolean {
    this.ensureSchema();
    const sql = this.ctx.storage.sql;
    const open = sql
      .exec<{ window_start: number; day: string; uses: number }>(
        "SELECT window_start, day, uses FROM lease WHERE id = ?",
        account.id,
      )
      .toArray()[0];
    if (open === undefined) return false;
    sql.exec("DELETE FROM lease WHERE id = ?", account.id);
    const used = Math.min(Math.max(1, Math.floor(account.used)), open.uses);
    if (used > 1) this.count(open.day, used - 1);
    const windowStart = now - (now % (KEY_WINDOW_SECONDS * 1000));
    if (open.window_start === windowStart && used < open.uses) {
      sql.exec(
        "UPDATE limit_window SET count = MAX(0, count - ?) WHERE id = 1 AND start = ?",
        open.uses - used,
        windowStart,
      );
    }
    return true;
  }

  /** Uses reserved or made in the window starting at `windowStart`. */
  private windowCount(windowStart: number): number {
    const window = this.ctx.storage.sql
      .exec<{ start: number; count: number }>("SELECT start, count FROM limit_window WHERE id = 1")
      .toArray()[0];
    return window?.start === windowStart ? window.count : 0;
  }

  private count(day: string, uses: number): void {
    this.ctx.storage.sql.exec(
      "INSERT INTO usage (day, count) VALUES (?, ?) ON CONFLICT (day) DO UPDATE SET count = count + excluded.count",
      day,
      uses,
    );
  }

  private async scheduleFlush(now: number): Promise<void> {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    await this.ctx.storage.setAlarm(now + FLUSH_DELAY_MS);
  }

  /**
   * The key's record, read from D1 again once the last read began RECORD_MAX_AGE_MS ago or more.
   * Requests that arrive while a read is under way share it (it is younger than the bound).
   */
  private record(hash: string): { readAt: number; record: Promise<ApiKeyRecord | null> } {
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
    return this.cached;
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

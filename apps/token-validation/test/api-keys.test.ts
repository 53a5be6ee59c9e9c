import { awayFromWindowEdge } from "@mcp-auth/dev-harness/limits";
import { hashApiKey } from "@mcp-auth/auth-common/verifiers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { KEY_LIMIT, KEY_WINDOW_SECONDS, LEASE_MAX_MS, LEASE_MAX_USES, type ApiKeyObject } from "../src/key-object.ts";
import { RECORD_MAX_AGE_MS, createKey as storeKey, getKey, keyUsage, revokeKey, rotateKey } from "../src/key-store.ts";
import { usageDay } from "../src/usage-day.ts";
import { createKey, rpc, viaWorker } from "./helpers.ts";

// The API-key hot path: the key's Durable Object reads the record from D1, applies the per-key
// limit and counts uses, and leases busy keys' uses to the Worker isolate (src/key-leases.ts).
// These run the real Worker, object and D1 in workerd.

const echo = (id: number) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name: "echo", arguments: { text: `use ${id}` } },
});

const call = (key: string, id = 1) => rpc(viaWorker, { authorization: `Bearer ${key}` }, echo(id));

async function keyObject(key: string): Promise<DurableObjectStub<ApiKeyObject>> {
  return env.API_KEYS.get(env.API_KEYS.idFromName(await hashApiKey(key)));
}

/** The day's count as the object holds it (authoritative) and as D1 holds it after the object's copy. */
async function counts(key: string, id: string): Promise<{ object: number; d1: number }> {
  const stub = await keyObject(key);
  const object = await runInDurableObject(stub, (_instance, state) => {
    // No table yet: the key was never counted (tables are made on the first counted use).
    const made = state.storage.sql
      .exec<{ n: number }>("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'usage'")
      .one();
    if (made.n === 0) return 0;
    const row = state.storage.sql
      .exec<{ count: number }>("SELECT count FROM usage WHERE day = ?", usageDay(Date.now()))
      .toArray()[0];
    return row?.count ?? 0;
  });
  await runDurableObjectAlarm(stub);
  const [today] = await keyUsage(env.KEYS_DB, id, 1, Date.now());
  return { object, d1: today?.count ?? 0 };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until the object's count reaches `expected` (leases settle up to LEASE_MAX_MS after use). */
async function settledCounts(key: string, id: string, expected: number): Promise<{ object: number; d1: number }> {
  const deadline = Date.now() + LEASE_MAX_MS + 3000;
  let seen = await counts(key, id);
  while (seen.object < expected && Date.now() < deadline) {
    await sleep(100);
    seen = await counts(key, id);
  }
  return seen;
}

/** Uses reserved or made in the key's current window, as its object holds them. */
async function windowCount(key: string): Promise<number> {
  return runInDurableObject(await keyObject(key), (_instance, state) => {
    const row = state.storage.sql
      .exec<{ start: number; count: number }>("SELECT start, count FROM limit_window WHERE id = 1")
      .toArray()[0];
    const windowMs = KEY_WINDOW_SECONDS * 1000;
    return row?.start === Date.now() - (Date.now() % windowMs) ? row.count : 0;
  });
}

/** Statuses of `n` calls with `key`, one after another (so the isolate leases the key's uses). */
async function sequential(key: string, n: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push((await call(key, i)).status);
  return statuses;
}

describe("API keys through the key's Durable Object", () => {
  it("counts every use exactly once under concurrency, and copies the exact count to D1", async () => {
    const { key, id } = await createKey(["notes:read"]);
    const statuses = await Promise.all(Array.from({ length: 120 }, async (_, i) => (await call(key, i)).status));
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    expect(await counts(key, id)).toEqual({ object: 120, d1: 120 });
    // A second copy of the same count (a retried alarm) changes nothing.
    expect(await counts(key, id)).toEqual({ object: 120, d1: 120 });
  });

  it("a key revoked in D1 fails on the very next request, and the refused use is not counted", async () => {
    const { key, id } = await createKey(["notes:read"]);
    expect((await call(key)).status).toBe(200);
    expect(await revokeKey(env.KEYS_DB, id, Date.now())).toBe(true);
    const refused = await call(key);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error_description: "This API key has been revoked." });
    expect(await counts(key, id)).toEqual({ object: 1, d1: 1 });
  });

  it("why revoke waits: a revocation written straight to D1 is served from the object's record for at most RECORD_MAX_AGE_MS", async () => {
    const { key, id } = await createKey(["notes:read"]);
    expect((await call(key)).status).toBe(200);
    await env.KEYS_DB.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ?").bind(Date.now(), id).run();
    // The object read the record an instant ago: it may still serve it…
    expect((await call(key)).status).toBe(200);
    // …but never for longer than the bound revokeKey waits out.
    await new Promise((resolve) => setTimeout(resolve, RECORD_MAX_AGE_MS + 100));
    expect((await call(key)).status).toBe(401);
  });

  it("an expired key is refused and not counted", async () => {
    const { key, id } = await createKey(["notes:read"], { expiresAt: Date.now() - 1 });
    expect((await call(key)).status).toBe(401);
    expect(await counts(key, id)).toEqual({ object: 0, d1: 0 });
  });

  it(`a use past ${KEY_LIMIT} in one window is 429 rate_limited with Retry-After, not counted; other keys are served`, async () => {
    const { key, id } = await createKey(["notes:read"]);
    const other = await createKey(["notes:read"]);
    await awayFromWindowEdge(KEY_WINDOW_SECONDS);
    // One real use (which makes the object's tables), then the window filled to one below the
    // limit, as KEY_LIMIT - 1 uses in this window would have left it.
    expect((await call(key)).status).toBe(200);
    await runInDurableObject(await keyObject(key), (_instance, state) => {
      state.storage.sql.exec("UPDATE limit_window SET count = ?", KEY_LIMIT - 1);
    });
    expect((await call(key)).status).toBe(200);
    const limited = await call(key);
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(KEY_WINDOW_SECONDS);
    expect(await limited.json()).toEqual({
      error: "rate_limited",
      error_description: `Too many requests with this API key; retry after ${retryAfter} seconds.`,
    });
    expect((await call(other.key)).status).toBe(200);
    expect(await counts(key, id)).toEqual({ object: 2, d1: 2 });
  });

  it("a busy key is leased to the isolate: every use is counted once the lease settles, and unused reservations return to the window", async () => {
    const { key, id } = await createKey(["notes:read"]);
    await awayFromWindowEdge(KEY_WINDOW_SECONDS);
    const statuses = await sequential(key, 80);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    // Right after the calls the object has not counted them all: the isolate admitted some under
    // a lease (1, 2, 4, … uses) that is still open, and reserved more than it used.
    expect((await counts(key, id)).object).toBeLessThan(80);
    expect(await windowCount(key)).toBeGreaterThan(80);
    expect(await settledCounts(key, id, 80)).toEqual({ object: 80, d1: 80 });
    // Every lease settled: the window holds the uses made, not what was reserved.
    expect(await windowCount(key)).toBe(80);
  });

  it(`the per-key limit is exact with leases: ${KEY_LIMIT} uses per window, not one more`, async () => {
    const { key, id } = await createKey(["notes:read"]);
    await awayFromWindowEdge(KEY_WINDOW_SECONDS);
    expect((await call(key)).status).toBe(200);
    // 40 uses left in this window, as KEY_LIMIT - 40 uses would have left it.
    await runInDurableObject(await keyObject(key), (_instance, state) => {
      state.storage.sql.exec("UPDATE limit_window SET count = ?", KEY_LIMIT - 40);
    });
    const statuses = await sequential(key, 70);
    expect(statuses.slice(0, 40)).toEqual(Array.from({ length: 40 }, () => 200));
    expect(statuses.slice(40)).toEqual(Array.from({ length: 30 }, () => 429));
    expect(await settledCounts(key, id, 41)).toEqual({ object: 41, d1: 41 });
    expect(await windowCount(key)).toBe(KEY_LIMIT);
  });

  it("a key revoked while this isolate holds a lease on it fails on the next request after revokeKey returns", async () => {
    const { key, id } = await createKey(["notes:read"]);
    // Keep the key busy (leased) while it is revoked.
    const revoking = new AbortController();
    let served = 0;
    const traffic = (async () => {
      while (!revoking.signal.aborted) {
        if ((await call(key)).status === 200) served++;
        // About 20 calls a second: leases grow to 16 and 32 uses and are still open, with uses
        // left, when revokeKey returns (only their time bound ends them). The pause also lets
        // timers run: calls served under a lease do no I/O.
        await sleep(50);
      }
    })();
    await sleep(300);
    expect(await revokeKey(env.KEYS_DB, id, Date.now())).toBe(true);
    revoking.abort();
    const next = await call(key);
    expect(next.status).toBe(401);
    expect(await next.json()).toMatchObject({ error_description: "This API key has been revoked." });
    await traffic;
    // Every use served before the revocation took effect is counted, none twice.
    expect(await settledCounts(key, id, served)).toEqual({ object: served, d1: served });
  });

  it("settling a lease twice counts its uses once; a lease is at most LEASE_MAX_USES and never outlives the record's bound", async () => {
    const { key, id } = await createKey(["notes:read"]);
    const stub = await keyObject(key);
    const hash = await hashApiKey(key);
    const answer = await stub.lease(hash, { take: 10_000 });
    expect(answer.lease?.uses).toBe(LEASE_MAX_USES);
    expect(answer.lease?.ms).toBeLessThanOrEqual(LEASE_MAX_MS);
    expect(answer.lease?.ms).toBeLessThanOrEqual(RECORD_MAX_AGE_MS - answer.ageMs);
    const leaseId = answer.lease?.id ?? "";
    await stub.settle({ id: leaseId, used: 7 });
    await stub.settle({ id: leaseId, used: 7 });
    // A lease id the object never granted counts nothing.
    await stub.settle({ id: "not-a-lease", used: 1000 });
    expect(await counts(key, id)).toEqual({ object: 7, d1: 7 });
    expect(await windowCount(key)).toBe(7);
    // A settlement claiming more uses than were leased counts only the lease.
    const small = await stub.lease(hash, { take: 4 });
    await stub.settle({ id: small.lease?.id ?? "", used: 1000 });
    expect(await counts(key, id)).toEqual({ object: 11, d1: 11 });
    expect(await windowCount(key)).toBe(11);
  });

  it("unknown and revoked keys leave nothing stored in their objects", async () => {
    const unknown = `mcpk_${"B".repeat(43)}`;
    const revoked = await createKey(["notes:read"], { revokedAt: Date.now() - 1 });
    for (const key of [unknown, revoked.key]) {
      expect((await call(key)).status).toBe(401);
      const tables = await runInDurableObject(await keyObject(key), (_instance, state) =>
        state.storage.sql
          .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%'")
          .toArray(),
      );
      expect(tables).toEqual([]);
    }
  });
});

describe("the key store (shared with the CLI)", () => {
  it("rotate replaces a live key in one transaction: old revoked, new one with the same owner and scopes", async () => {
    const old = await storeKey(env.KEYS_DB, {
      owner: "rotator",
      scopes: ["notes:read", "notes:write"],
      expiresAt: null,
      now: Date.now(),
    });
    const next = await rotateKey(env.KEYS_DB, old.id, Date.now());
    expect(next).toMatchObject({ owner: "rotator", scopes: ["notes:read", "notes:write"], expiresAt: null });
    expect((await getKey(env.KEYS_DB, old.id))?.revoked_at).not.toBeNull();
    expect((await call(old.key)).status).toBe(401);
    expect((await call(next?.key ?? "")).status).toBe(200);
  });

  it("rotating a revoked key writes nothing", async () => {
    const old = await storeKey(env.KEYS_DB, {
      owner: "gone",
      scopes: ["notes:read"],
      expiresAt: null,
      now: Date.now(),
    });
    await revokeKey(env.KEYS_DB, old.id, Date.now());
    const before = await env.KEYS_DB.prepare("SELECT COUNT(*) AS n FROM api_keys WHERE owner = 'gone'").first<{
      n: number;
    }>();
    expect(await rotateKey(env.KEYS_DB, old.id, Date.now())).toBeNull();
    const after = await env.KEYS_DB.prepare("SELECT COUNT(*) AS n FROM api_keys WHERE owner = 'gone'").first<{
      n: number;
    }>();
    expect(after).toEqual(before);
  });
});

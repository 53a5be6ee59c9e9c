import { hashApiKey } from "@mcp-auth/auth-common";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { KEY_LIMIT, KEY_WINDOW_SECONDS, type ApiKeyObject } from "../src/key-object.ts";
import { RECORD_MAX_AGE_MS, createKey as storeKey, getKey, keyUsage, revokeKey, rotateKey } from "../src/key-store.ts";
import { usageDay } from "../src/usage-day.ts";
import { createKey, rpc, viaWorker } from "./helpers.ts";

// The API-key hot path: one call to the key's Durable Object reads the record from D1, applies
// the per-key limit and counts the use. These run the real Worker, object and D1 in workerd.

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

/** Waits, if needed, so that the next few seconds stay inside one per-key window. */
async function awayFromWindowEdge(): Promise<void> {
  const left = KEY_WINDOW_SECONDS * 1000 - (Date.now() % (KEY_WINDOW_SECONDS * 1000));
  if (left < 5000) await new Promise((resolve) => setTimeout(resolve, left + 50));
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
    await awayFromWindowEdge();
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

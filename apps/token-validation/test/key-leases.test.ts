import { awayFromWindowEdge } from "@mcp-auth/dev-harness/limits";
import { hashApiKey } from "@mcp-auth/auth-common/verifiers";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { KEY_WINDOW_SECONDS, LEASE_MAX_USES, type ApiKeyObject } from "../src/key-object.ts";
import { leasedKeyStore } from "../src/key-leases.ts";
import { createKey } from "./helpers.ts";

// The isolate's side of API-key leases (src/key-leases.ts), driven directly against the real
// key objects and D1: how many round trips a busy key costs, and what concurrent requests do.

/** The API_KEYS namespace, counting the stubs asked for (one per call to a key's object). */
function countingNamespace(): { namespace: DurableObjectNamespace<ApiKeyObject>; calls: () => number } {
  let calls = 0;
  const real = env.API_KEYS;
  const namespace = {
    idFromName: (name: string) => real.idFromName(name),
    get: (id: DurableObjectId) => {
      calls++;
      return real.get(id);
    },
  } as unknown as DurableObjectNamespace<ApiKeyObject>;
  return { namespace, calls: () => calls };
}

describe("API-key leases in the isolate", () => {
  it(`a busy key costs one call per lease: 1, 2, 4, … up to ${LEASE_MAX_USES} uses`, async () => {
    const { key, id } = await createKey(["notes:read"]);
    const hash = await hashApiKey(key);
    const { namespace, calls } = countingNamespace();
    const store = leasedKeyStore(namespace);
    await awayFromWindowEdge(KEY_WINDOW_SECONDS);
    // 1 + 2 + 4 + 8 + 16 + 32 + 64 = 127 uses: seven leases, each renewal settling the last.
    for (let i = 0; i < 127; i++) expect((await store.findByHash(hash))?.id).toBe(id);
    expect(calls()).toBe(7);
    // The 128th use finds the 64-use lease spent: one more call, for at most 64 more.
    await store.findByHash(hash);
    expect(calls()).toBe(8);
  });

  it("a key used now and then costs one call per use and leaves nothing to settle", async () => {
    const { key } = await createKey(["notes:read"]);
    const hash = await hashApiKey(key);
    const { namespace, calls } = countingNamespace();
    const store = leasedKeyStore(namespace, {
      now: (() => {
        let clock = Date.now();
        // Each reading of the clock 3 s after the last: the previous lease is long over, so each asks for one use.
        return () => (clock += 3000);
      })(),
    });
    for (let i = 0; i < 3; i++) await store.findByHash(hash);
    expect(calls()).toBe(3);
  });

  it("requests that arrive while a renewal is under way each take one use; all are counted", async () => {
    const { key, id } = await createKey(["notes:read"]);
    const hash = await hashApiKey(key);
    const { namespace, calls } = countingNamespace();
    const store = leasedKeyStore(namespace);
    const records = await Promise.all(Array.from({ length: 10 }, () => store.findByHash(hash)));
    expect(records.map((record) => record?.id)).toEqual(Array.from({ length: 10 }, () => id));
    // One renewal, nine single uses: nobody waited on another request's round trip.
    expect(calls()).toBe(10);
  });

  it("an unknown key is asked about every time (nothing is remembered for it)", async () => {
    const hash = await hashApiKey(`mcpk_${"C".repeat(43)}`);
    const { namespace, calls } = countingNamespace();
    const store = leasedKeyStore(namespace);
    expect(await store.findByHash(hash)).toBeNull();
    expect(await store.findByHash(hash)).toBeNull();
    expect(calls()).toBe(2);
  });
});

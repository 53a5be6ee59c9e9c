import type { Adapter, AdapterPayload } from "oidc-provider";

interface Entry {
  payload: AdapterPayload;
  /** Epoch milliseconds, or undefined for no expiry. */
  expiresAt: number | undefined;
}

/** One dev IdP's storage: the adapter oidc-provider uses, and what tests do to it directly. */
export interface MemoryAdapter {
  /** oidc-provider's `adapter` configuration. */
  adapter: (model: string) => Adapter;
  /**
   * Deletes every grant of `accountId` (all clients) and every artifact issued under them:
   * authorization codes, access tokens, refresh tokens. Returns how many grants were deleted.
   */
  revokeAccountGrants(accountId: string): number;
}

/**
 * An in-memory oidc-provider adapter whose storage belongs to one dev IdP, not to one Provider
 * instance: key rotation builds a new Provider over the same storage, so tokens issued before a
 * rotation stay introspectable. Linear scans are fine at dev/test scale.
 */
export function createMemoryAdapter(): MemoryAdapter {
  const store = new Map<string, Entry>();

  function live(key: string): AdapterPayload | undefined {
    const entry = store.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      store.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  function findBy(model: string, field: "uid" | "userCode", value: string): AdapterPayload | undefined {
    for (const key of store.keys()) {
      if (!key.startsWith(`${model}:`)) continue;
      const payload = live(key);
      if (payload?.[field] === value) return payload;
    }
    return undefined;
  }

  function revokeAccountGrants(accountId: string): number {
    const grantKeys = [...store.keys()].filter((key) => key.startsWith("Grant:") && live(key)?.accountId === accountId);
    // A Grant is stored under its own id; everything issued under it carries that id as `grantId`.
    const grantIds = new Set(grantKeys.map((key) => key.slice("Grant:".length)));
    for (const [key, entry] of store) {
      const grantId = entry.payload.grantId;
      if (typeof grantId === "string" && grantIds.has(grantId)) store.delete(key);
    }
    for (const key of grantKeys) store.delete(key);
    return grantKeys.length;
  }

  const adapter = (model: string): Adapter => {
    const keyFor = (id: string): string => `${model}:${id}`;
    return {
      async upsert(id, payload, expiresIn) {
        store.set(keyFor(id), {
          payload,
          expiresAt: typeof expiresIn === "number" ? Date.now() + expiresIn * 1000 : undefined,
        });
      },
      async find(id) {
        return live(keyFor(id));
      },
      async findByUid(uid) {
        return findBy(model, "uid", uid);
      },
      async findByUserCode(userCode) {
        return findBy(model, "userCode", userCode);
      },
      async consume(id) {
        const payload = live(keyFor(id));
        if (payload !== undefined) payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        store.delete(keyFor(id));
      },
      async revokeByGrantId(grantId) {
        for (const [key, entry] of store) {
          if (entry.payload.grantId === grantId) store.delete(key);
        }
      },
    };
  };
  return { adapter, revokeAccountGrants };
}

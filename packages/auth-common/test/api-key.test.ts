import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  API_KEY_PREFIX,
  apiKeyVerifier,
  generateApiKey,
  hashApiKey,
  looksLikeApiKey,
  type ApiKeyRecord,
  type ApiKeyStore,
} from "../src/api-key.ts";
import { AuthError } from "../src/errors.ts";
import { expectAuthError } from "./fakes.ts";

const REQUEST = new Request("https://mcp.example.com/mcp");
const NOW = Date.UTC(2026, 0, 1);

/** An in-memory store that records every hash it was asked about. */
class MemoryStore implements ApiKeyStore {
  readonly lookups: string[] = [];
  readonly records = new Map<string, ApiKeyRecord>();
  add(record: ApiKeyRecord): void {
    this.records.set(record.hash, record);
  }
  async findByHash(hash: string): Promise<ApiKeyRecord | null> {
    this.lookups.push(hash);
    return this.records.get(hash) ?? null;
  }
}

async function setup(overrides: Partial<ApiKeyRecord> = {}) {
  const { key, id, hash } = await generateApiKey();
  const store = new MemoryStore();
  store.add({
    id,
    hash,
    owner: "ada@example.com",
    scopes: ["notes:read"],
    createdAt: NOW - 1000,
    expiresAt: null,
    revokedAt: null,
    ...overrides,
  });
  return { key, id, hash, store, verifier: apiKeyVerifier({ store, now: () => NOW }) };
}

describe("apiKeyVerifier: owners no credential may assert", () => {
  it.each(["anonymous", "alice\nadmin", "bob\u0007"])(
    "refuses a key owned by %j as an invalid token",
    async (owner) => {
      const { key, verifier } = await setup({ owner });
      await expectAuthError(
        verifier.verify({ request: new Request("https://mcp.example/mcp"), bearer: key }),
        "invalid_token",
        "This API key's owner is not a usable subject.",
      );
    },
  );
});

describe("generateApiKey", () => {
  it("makes a prefixed 48-character key, a key_ id and the SHA-256 hex of the key", async () => {
    const { key, id, hash } = await generateApiKey();
    expect(key.startsWith(API_KEY_PREFIX)).toBe(true);
    expect(key).toHaveLength(API_KEY_PREFIX.length + 43);
    expect(key).toMatch(/^mcpk_[A-Za-z0-9_-]{43}$/);
    expect(id).toMatch(/^key_[a-z0-9]{10}$/);
    expect(hash).toBe(createHash("sha256").update(key).digest("hex"));
    expect(await hashApiKey(key)).toBe(hash);
    expect(looksLikeApiKey(key)).toBe(true);
  });

  it("never repeats a key", async () => {
    const keys = await Promise.all(Array.from({ length: 50 }, () => generateApiKey()));
    expect(new Set(keys.map(({ key }) => key)).size).toBe(50);
  });
});

describe("looksLikeApiKey", () => {
  const valid = `mcpk_${"A".repeat(43)}`;
  it.each([
    ["a well-formed key", valid, true],
    ["the short form", "mcpk_short", false],
    ["one character too many", `${valid}x`, false],
    ["one character too few", valid.slice(0, -1), false],
    ["another prefix", `mcpx_${"A".repeat(43)}`, false],
    ["standard base64 characters", `mcpk_${"+".repeat(43)}`, false],
    ["padding", `mcpk_${"A".repeat(42)}=`, false],
    ["a JWT", "a.b.c", false],
  ])("%s → %s", (_label, token, expected) => {
    expect(looksLikeApiKey(token)).toBe(expected);
  });
});

describe("apiKeyVerifier", () => {
  it("accepts a stored key and builds the identity", async () => {
    const { key, id, hash, store, verifier } = await setup({ expiresAt: NOW + 60_500 });
    expect(verifier.method).toBe("api_key");
    expect(await verifier.verify({ request: REQUEST, bearer: key })).toEqual({
      subject: "ada@example.com",
      displayName: "ada@example.com",
      clientId: id,
      issuer: "self",
      scopes: ["notes:read"],
      method: "api_key",
      expiresAt: Math.floor((NOW + 60_500) / 1000),
    });
    expect(store.lookups).toEqual([hash]);
  });

  it("omits expiresAt for a key that does not expire", async () => {
    const { key, verifier } = await setup();
    expect(await verifier.verify({ request: REQUEST, bearer: key })).not.toHaveProperty("expiresAt");
  });

  it("does not claim a request without a bearer or with another kind of token", async () => {
    const { store, verifier } = await setup();
    expect(await verifier.verify({ request: REQUEST, bearer: undefined })).toBeUndefined();
    expect(await verifier.verify({ request: REQUEST, bearer: "eyJhbGciOiJIUzI1NiJ9.e30.sig" })).toBeUndefined();
    expect(await verifier.verify({ request: REQUEST, bearer: `mcpx_${"A".repeat(43)}` })).toBeUndefined();
    expect(await verifier.verify({ request: REQUEST, bearer: `MCPK_${"A".repeat(43)}` })).toBeUndefined();
    expect(store.lookups).toEqual([]);
  });

  it("rejects an unknown key", async () => {
    const { verifier } = await setup();
    const other = (await generateApiKey()).key;
    const error = await expectAuthError(
      verifier.verify({ request: REQUEST, bearer: other }),
      "invalid_token",
      "Unknown API key.",
    );
    expect(error.message).not.toContain(other);
  });

  it.each([
    ["rate_limited", "Too many requests with this API key; retry after 12 seconds."],
    ["temporarily_unavailable", "API keys cannot be checked right now; retry shortly."],
  ] as const)("passes on a store's own %s refusal unchanged", async (code, message) => {
    const { key } = await setup();
    const refusing: ApiKeyStore = {
      findByHash: () => Promise.reject(new AuthError(code, message, { retryAfterSeconds: 12 })),
    };
    const error = await expectAuthError(
      apiKeyVerifier({ store: refusing, now: () => NOW }).verify({ request: REQUEST, bearer: key }),
      code,
      message,
    );
    expect(error.retryAfterSeconds).toBe(12);
  });

  it("rejects a revoked key", async () => {
    const { key, verifier } = await setup({ revokedAt: NOW - 1 });
    const error = await expectAuthError(
      verifier.verify({ request: REQUEST, bearer: key }),
      "invalid_token",
      "This API key has been revoked.",
    );
    expect(error.message).not.toContain(key);
  });

  it.each([
    ["expired a moment ago", NOW - 1],
    ["expiring exactly now", NOW],
  ])("rejects a key %s (injected clock)", async (_label, expiresAt) => {
    const { key, verifier } = await setup({ expiresAt });
    await expectAuthError(
      verifier.verify({ request: REQUEST, bearer: key }),
      "invalid_token",
      "This API key has expired.",
    );
  });

  it("accepts a key one millisecond before it expires", async () => {
    const { key, verifier } = await setup({ expiresAt: NOW + 1 });
    expect(await verifier.verify({ request: REQUEST, bearer: key })).toMatchObject({ method: "api_key" });
  });

  it.each([
    ["the short form", "mcpk_short"],
    ["only the prefix", "mcpk_"],
    ["a non-base64url character", `mcpk_${"A".repeat(42)}.`],
  ])("rejects a malformed key (%s) without a lookup", async (_label, bearer) => {
    const { store, verifier } = await setup();
    const error = await expectAuthError(
      verifier.verify({ request: REQUEST, bearer }),
      "invalid_token",
      "Malformed API key.",
    );
    expect(error.message).not.toContain(bearer);
    expect(store.lookups).toEqual([]);
  });

  it("rejects a valid key with a trailing character as malformed, and the key without it still works", async () => {
    const { key, store, verifier } = await setup();
    await expectAuthError(
      verifier.verify({ request: REQUEST, bearer: `${key}A` }),
      "invalid_token",
      "Malformed API key.",
    );
    expect(store.lookups).toEqual([]);
    expect(await verifier.verify({ request: REQUEST, bearer: key })).toMatchObject({ method: "api_key" });
  });

  it("rejects a record whose stored hash does not match the presented key", async () => {
    const { key, hash, store, verifier } = await setup();
    const record = store.records.get(hash);
    if (record === undefined) throw new Error("unreachable");
    store.records.set(hash, { ...record, hash: "0".repeat(64) });
    await expectAuthError(verifier.verify({ request: REQUEST, bearer: key }), "invalid_token", "Unknown API key.");
  });
});

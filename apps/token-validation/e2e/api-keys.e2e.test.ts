import { describe, expect, inject, it } from "vitest";
import {
  WHOAMI,
  asCreatedKey,
  bearer,
  createKey,
  echo,
  expectRejected,
  keysCli,
  keysCliRaw,
  mcpPost,
  structured,
  usageToday,
  type CreatedKey,
} from "./helpers.ts";

// The key CLI (scripts/keys.ts) against the running "keys" instance's local D1: no restart, every
// change holds from the very next request.

const origin = () => inject("keys").origin;
const stateDir = () => inject("keys").stateDir;
const KEY_ID = /^key_[a-z0-9]{10}$/;
const KEY = /^mcpk_[A-Za-z0-9_-]{43}$/;

/** Polls `usage --json` (counts are written in waitUntil, after the response) until `expected` or 10 s. */
async function settledUsage(id: string, expected: number): Promise<number> {
  const deadline = Date.now() + 10_000;
  let count = await usageToday(stateDir(), id);
  while (count < expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    count = await usageToday(stateDir(), id);
  }
  return count;
}

interface ListedKey {
  id: string;
  owner: string;
  scopes: string;
  expires_at: number | null;
  revoked_at: number | null;
  today: number;
}

async function listed(id: string): Promise<{ row: ListedKey | undefined; raw: string }> {
  const rows = (await keysCli(stateDir(), ["list"])) as ListedKey[];
  return { row: rows.find((row) => row.id === id), raw: JSON.stringify(rows) };
}

describe("key CLI while the server runs", () => {
  let reader: CreatedKey;
  let uses = 0;

  it("create → the key works at once, as its owner with exactly its scopes", async () => {
    reader = await createKey(stateDir(), "cli-reader", "notes:read");
    expect(reader).toEqual({
      id: expect.stringMatching(KEY_ID) as unknown,
      key: expect.stringMatching(KEY) as unknown,
      owner: "cli-reader",
      scopes: ["notes:read"],
      expiresAt: null,
    });
    const answer = await mcpPost(origin(), bearer(reader.key), WHOAMI);
    uses++;
    expect(answer.status).toBe(200);
    expect(structured(answer)).toEqual({
      pattern: "token-validation",
      method: "api_key",
      subject: "cli-reader",
      displayName: "cli-reader",
      clientId: reader.id,
      scopes: ["notes:read"],
    });
  });

  it("a read-only key is refused a write with 403 insufficient_scope", async () => {
    const answer = await mcpPost(origin(), bearer(reader.key), {
      jsonrpc: "2.0",
      id: 9,
      method: "tools/call",
      params: { name: "notes_add", arguments: { text: "not allowed" } },
    });
    uses++;
    expectRejected(answer, 403, "insufficient_scope", "This operation needs the scope notes:write.");
    expect(answer.oauth.scope).toBe("notes:write");
  });

  it("usage after N calls shows N for today", async () => {
    for (let i = 0; i < 5; i++) {
      expect((await mcpPost(origin(), bearer(reader.key), echo(`use ${i}`))).status).toBe(200);
      uses++;
    }
    expect(await settledUsage(reader.id, uses)).toBe(uses);
  });

  it("list --json shows the key, its owner, scopes and today's uses, and never the key itself", async () => {
    const { row, raw } = await listed(reader.id);
    expect(row).toMatchObject({
      owner: "cli-reader",
      scopes: "notes:read",
      revoked_at: null,
      expires_at: null,
      today: uses,
    });
    expect(raw).not.toContain(reader.key);
    expect(raw).not.toContain("mcpk_");
  });

  it("revoke → the very next request with that key is 401", async () => {
    expect(await keysCli(stateDir(), ["revoke", reader.id])).toEqual({ id: reader.id, revoked: true });
    expectRejected(
      await mcpPost(origin(), bearer(reader.key), WHOAMI),
      401,
      "invalid_token",
      "This API key has been revoked.",
    );
  });

  it("rotate → the old key is 401, the new one works with the same owner and scopes", async () => {
    const old = await createKey(stateDir(), "cli-rotator", "notes:read notes:write");
    expect((await mcpPost(origin(), bearer(old.key), WHOAMI)).status).toBe(200);
    const next = asCreatedKey(await keysCli(stateDir(), ["rotate", old.id]));
    expect(next).toEqual({
      id: expect.stringMatching(KEY_ID) as unknown,
      key: expect.stringMatching(KEY) as unknown,
      owner: "cli-rotator",
      scopes: ["notes:read", "notes:write"],
      expiresAt: null,
    });
    expect(next.id).not.toBe(old.id);
    expect(next.key).not.toBe(old.key);
    expectRejected(
      await mcpPost(origin(), bearer(old.key), WHOAMI),
      401,
      "invalid_token",
      "This API key has been revoked.",
    );
    const answer = await mcpPost(origin(), bearer(next.key), WHOAMI);
    expect(answer.status).toBe(200);
    expect(structured(answer)).toMatchObject({
      method: "api_key",
      subject: "cli-rotator",
      clientId: next.id,
      scopes: ["notes:read", "notes:write"],
    });
  });

  it("refuses to rotate a revoked key, and names a malformed key id", async () => {
    const revoked = await keysCliRaw(stateDir(), ["rotate", reader.id]);
    expect(revoked.code).toBe(2);
    expect(revoked.stderr).toContain(`error: ${reader.id} is already revoked`);
    const malformed = await keysCliRaw(stateDir(), ["revoke", "not-a-key-id"]);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain("error: give a key id like key_3fj9a0c2kq");
  });

  it("unknown and malformed keys are 401 with their own messages", async () => {
    const unknown = `mcpk_${"A".repeat(43)}`;
    expectRejected(await mcpPost(origin(), bearer(unknown), WHOAMI), 401, "invalid_token", "Unknown API key.");
    expectRejected(await mcpPost(origin(), bearer("mcpk_short"), WHOAMI), 401, "invalid_token", "Malformed API key.");
  });
});

describe("usage counts and the per-key limit", () => {
  let busy: CreatedKey;

  it("300 concurrent calls with one key: all served, usage reads exactly 300", async () => {
    busy = await createKey(stateDir(), "busy-client");
    const statuses = await Promise.all(
      Array.from({ length: 300 }, async (_, i) => (await mcpPost(origin(), bearer(busy.key), echo(`#${i}`, i))).status),
    );
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    expect(await settledUsage(busy.id, 300)).toBe(300);
  });

  it("over 600 requests a minute with one key → 429 with Retry-After, from any address; other keys unaffected", async () => {
    const limit = 600;
    const other = await createKey(stateDir(), "calm-client", "notes:read");
    const statuses: number[] = [];
    /** The other key's answers, sent in the same batches in which the busy key was refused. */
    const otherWhileLimited: number[] = [];
    let limited: Awaited<ReturnType<typeof mcpPost>> | undefined;
    // Fixed windows aligned to the clock: a window may roll over mid-run, hence up to 2× + 60.
    for (let sent = 0; sent < 2 * limit + 60; sent += 49) {
      if (statuses.filter((status) => status === 429).length >= 20) break;
      const [calm, ...batch] = await Promise.all([
        mcpPost(origin(), bearer(other.key), WHOAMI),
        ...Array.from({ length: 49 }, (_, i) => mcpPost(origin(), bearer(busy.key), echo(`flood ${sent + i}`, i))),
      ]);
      for (const answer of batch) {
        statuses.push(answer.status);
        if (answer.status === 429) limited ??= answer;
      }
      if (batch.some((answer) => answer.status === 429)) otherWhileLimited.push(calm.status);
    }
    expect(statuses.filter((status) => status !== 200 && status !== 429)).toEqual([]);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(20);
    expect(limited?.headers.get("retry-after")).toBe("60");
    expect(limited?.rpc).toEqual({
      jsonrpc: "2.0",
      id: null,
      error: { code: -32000, message: "Too many requests with this API key; retry after 60 seconds." },
    });
    // The limit is per key: another key is served while this one is refused.
    expect(otherWhileLimited.length).toBeGreaterThan(0);
    expect(otherWhileLimited.every((status) => status === 200)).toBe(true);
  });
});

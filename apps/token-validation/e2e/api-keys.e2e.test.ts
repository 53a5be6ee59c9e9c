import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import {
  WHOAMI,
  asCreatedKey,
  bearer,
  createKey,
  echo,
  expectRejected,
  expectScopeToolError,
  keysCli,
  keysCliRaw,
  mcpPost,
  structured,
  usageToday,
} from "./helpers.ts";

// The key CLI (scripts/keys.ts) against the running "keys" instance's local D1: no restart, every
// change holds from the very next request. Every test makes its own keys, so any one of them can
// run alone or in any order (`vitest --sequence.shuffle`). Each CLI command starts a local workerd
// (seconds each, more on a loaded machine), hence the longer timeout.

const origin = () => inject("keys").origin;
const stateDir = () => inject("keys").stateDir;
const KEY_ID = /^key_[a-z0-9]{10}$/;
const KEY = /^mcpk_[A-Za-z0-9_-]{43}$/;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Today's count once the key's object has copied it to D1 (an alarm about a second after a use):
 * reads after that delay, then polls until the count reaches `expected` or 20 s pass.
 */
async function settledUsage(id: string, expected: number): Promise<number> {
  await sleep(2000);
  const deadline = Date.now() + 20_000;
  let count = await usageToday(stateDir(), id);
  while (count < expected && Date.now() < deadline) {
    await sleep(1000);
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

async function echoes(key: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    expect((await mcpPost(origin(), bearer(key), echo(`use ${i}`))).status).toBe(200);
  }
}

const CLI_TEST_TIMEOUT = 180_000;

describe("key CLI while the server runs", { timeout: CLI_TEST_TIMEOUT }, () => {
  it("create → the key works at once, as its owner with exactly its scopes", async () => {
    const reader = await createKey(stateDir(), "cli-reader", "notes:read");
    expect(reader).toEqual({
      id: expect.stringMatching(KEY_ID) as unknown,
      key: expect.stringMatching(KEY) as unknown,
      owner: "cli-reader",
      scopes: ["notes:read"],
      expiresAt: null,
    });
    const answer = await mcpPost(origin(), bearer(reader.key), WHOAMI);
    expect(answer.status).toBe(200);
    expect(structured(answer)).toMatchObject({
      pattern: "token-validation",
      method: "api_key",
      subject: "cli-reader",
      displayName: "cli-reader",
      clientId: reader.id,
      scopes: ["notes:read"],
    });
  });

  it("scopes may be separated by commas as well as spaces", async () => {
    const created = await createKey(stateDir(), "cli-commas", "notes:read,notes:write");
    expect(created.scopes).toEqual(["notes:read", "notes:write"]);
    const answer = await mcpPost(origin(), bearer(created.key), WHOAMI);
    expect(structured(answer)).toMatchObject({ scopes: ["notes:read", "notes:write"] });
  });

  it("a read-only key is refused a write with a tool error naming the scope (no authorization server)", async () => {
    const reader = await createKey(stateDir(), "cli-read-only", "notes:read");
    const answer = await mcpPost(origin(), bearer(reader.key), {
      jsonrpc: "2.0",
      id: 9,
      method: "tools/call",
      params: { name: "notes_add", arguments: { text: "not allowed" } },
    });
    expectScopeToolError(answer, "notes:write");
  });

  it("usage and list --json show exactly the uses made, and never the key", async () => {
    const key = await createKey(stateDir(), "cli-counted", "notes:read");
    await echoes(key.key, 5);
    expect(await settledUsage(key.id, 5)).toBe(5);
    const rows = (await keysCli(stateDir(), ["list"])) as ListedKey[];
    expect(rows.find((row) => row.id === key.id)).toMatchObject({
      owner: "cli-counted",
      scopes: "notes:read",
      revoked_at: null,
      expires_at: null,
      today: 5,
    });
    expect(JSON.stringify(rows)).not.toContain("mcpk_");
  });

  it("list prints a readable table (not console.table), without any key", async () => {
    const key = await createKey(stateDir(), "cli-listed", "notes:read");
    const { code, stdout } = await keysCliRaw(stateDir(), ["list"]);
    expect(code).toBe(0);
    const [header, rule, ...lines] = stdout.trimEnd().split("\n");
    expect(header).toMatch(/^ID\s+OWNER\s+SCOPES\s+CREATED \(UTC\)\s+EXPIRES\s+REVOKED\s+USES TODAY$/);
    expect(rule).toMatch(/^-+( +-+){6}$/);
    expect(lines.find((line) => line.startsWith(key.id))).toMatch(
      new RegExp(`^${key.id}\\s+cli-listed\\s+notes:read\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d\\s+-\\s+-\\s+0$`),
    );
    expect(stdout).not.toMatch(/mcpk_|[┌│└]/);
  });

  it("revoke → the very next request with that key is 401, even while the key is busy", async () => {
    const key = await createKey(stateDir(), "cli-revoked", "notes:read");
    // Keep the key in use while the CLI revokes it, so its object always holds a fresh record.
    const revoking = new AbortController();
    const traffic = (async () => {
      while (!revoking.signal.aborted) await mcpPost(origin(), bearer(key.key), echo("busy"));
    })();
    await sleep(300);
    const revoked = await keysCli(stateDir(), ["revoke", key.id]);
    revoking.abort();
    expect(revoked).toEqual({ id: key.id, revoked: true });
    expectRejected(
      await mcpPost(origin(), bearer(key.key), WHOAMI),
      401,
      "invalid_token",
      "This API key has been revoked.",
    );
    await traffic;
  });

  it("rotate → the old key is 401 on the next request, the new one works with the same owner and scopes", async () => {
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
    const key = await createKey(stateDir(), "cli-gone", "notes:read");
    await keysCli(stateDir(), ["revoke", key.id]);
    const revoked = await keysCliRaw(stateDir(), ["rotate", key.id]);
    expect(revoked.code).toBe(2);
    expect(revoked.stderr).toContain(`error: ${key.id} is already revoked`);
    const malformed = await keysCliRaw(stateDir(), ["revoke", "not-a-key-id"]);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain("error: give a key id like key_3fj9a0c2kq");
  });

  it.each([
    ["anonymous", "error: --owner anonymous is reserved for callers who prove nothing"],
    ["alice\nadmin", "error: --owner is required: 1-64 letters, digits, . @ + - _"],
  ])("refuses to create a key for the owner %j, which no credential may assert", async (owner, message) => {
    const { code, stderr } = await keysCliRaw(stateDir(), ["create", "--owner", owner]);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });

  it("before the first `pnpm dev` (no local database) it says what to run, without a stack trace", async () => {
    const empty = mkdtempSync(join(tmpdir(), "keys-no-db-"));
    try {
      const { code, stderr } = await keysCliRaw(empty, ["list"]);
      expect(code).toBe(2);
      expect(stderr).toContain("run `npx -y pnpm@10.34.9 dev` once (it applies the migrations)");
      expect(stderr).not.toMatch(/^\s+at /m);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it("unknown and malformed keys are 401 with their own messages", async () => {
    const unknown = `mcpk_${"A".repeat(43)}`;
    expectRejected(await mcpPost(origin(), bearer(unknown), WHOAMI), 401, "invalid_token", "Unknown API key.");
    expectRejected(await mcpPost(origin(), bearer("mcpk_short"), WHOAMI), 401, "invalid_token", "Malformed API key.");
  });
});

describe("usage counts and the per-key limit", { timeout: CLI_TEST_TIMEOUT }, () => {
  it("300 concurrent calls with one key: all served, and usage grows by exactly 300", async () => {
    const busy = await createKey(stateDir(), "busy-client");
    await echoes(busy.key, 3);
    expect(await settledUsage(busy.id, 3)).toBe(3);
    const statuses = await Promise.all(
      Array.from({ length: 300 }, async (_, i) => (await mcpPost(origin(), bearer(busy.key), echo(`#${i}`, i))).status),
    );
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    expect(await settledUsage(busy.id, 303)).toBe(303);
    // Still 303 after another copy interval: no use was counted twice.
    await sleep(2000);
    expect(await usageToday(stateDir(), busy.id)).toBe(303);
  });

  it("over 600 requests a minute with one key → 429 with Retry-After, from any address; other keys unaffected", async () => {
    const limit = 600;
    const [flood, other] = [
      await createKey(stateDir(), "flood-client"),
      await createKey(stateDir(), "calm-client", "notes:read"),
    ];
    const statuses: number[] = [];
    /** The other key's answers, sent in the same batches in which the flooding key was refused. */
    const otherWhileLimited: number[] = [];
    let limited: Awaited<ReturnType<typeof mcpPost>> | undefined;
    // Fixed windows aligned to the clock: a window may roll over mid-run, hence up to 2× + 60.
    for (let sent = 0; sent < 2 * limit + 60; sent += 49) {
      if (statuses.filter((status) => status === 429).length >= 20) break;
      const [calm, ...batch] = await Promise.all([
        mcpPost(origin(), bearer(other.key), WHOAMI),
        ...Array.from({ length: 49 }, (_, i) => mcpPost(origin(), bearer(flood.key), echo(`flood ${sent + i}`, i))),
      ]);
      for (const answer of batch) {
        statuses.push(answer.status);
        if (answer.status === 429) limited ??= answer;
      }
      if (batch.some((answer) => answer.status === 429)) otherWhileLimited.push(calm.status);
    }
    expect(statuses.filter((status) => status !== 200 && status !== 429)).toEqual([]);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(20);
    if (limited === undefined) throw new Error("never limited");
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expectRejected(
      limited,
      429,
      "rate_limited",
      `Too many requests with this API key; retry after ${retryAfter} seconds.`,
    );
    // The limit is per key: another key is served while this one is refused.
    expect(otherWhileLimited.length).toBeGreaterThan(0);
    expect(otherWhileLimited.every((status) => status === 200)).toBe(true);
    // Refused requests are not uses: today's count is exactly the requests that were served.
    expect(await settledUsage(flood.id, statuses.filter((status) => status === 200).length)).toBe(
      statuses.filter((status) => status === 200).length,
    );
  });
});

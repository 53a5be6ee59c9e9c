import { describe, expect, it } from "vitest";
import { deleteGrant, findGrant, isStorageId, listGrants, type GrantStore } from "../src/grants.ts";

/** KV as the library lays it out, in memory, listing `pageSize` keys a page (KV pages too). */
class MemoryKv implements GrantStore {
  readonly values = new Map<string, unknown>();
  readonly pageSize: number;
  constructor(pageSize = 1000) {
    this.pageSize = pageSize;
  }
  list(options: { prefix: string; cursor?: string }) {
    const names = [...this.values.keys()].filter((name) => name.startsWith(options.prefix)).sort();
    const start = options.cursor === undefined ? 0 : Number(options.cursor);
    const page = names.slice(start, start + this.pageSize);
    const more = start + this.pageSize < names.length;
    return Promise.resolve({
      keys: page.map((name) => ({ name })),
      list_complete: !more,
      ...(more ? { cursor: String(start + this.pageSize) } : {}),
    });
  }
  get(key: string) {
    return Promise.resolve(this.values.get(key) ?? null);
  }
  delete(key: string) {
    this.values.delete(key);
    return Promise.resolve();
  }
  grant(userId: string, id: string, createdAt: number, tokens = 1) {
    this.values.set(`grant:${userId}:${id}`, {
      id,
      userId,
      clientId: `client-${id}`,
      scope: ["notes:read"],
      createdAt,
    });
    for (let n = 0; n < tokens; n++) this.values.set(`token:${userId}:${id}:${"a".repeat(63)}${String(n)}`, {});
  }
}

const ADA = "oauth|http%3A%2F%2F127.0.0.1%3A8791|ada";
const BOB = "oauth|http%3A%2F%2F127.0.0.1%3A8791|bob";

describe("grants in the library's KV layout", () => {
  it("lists everyone's or one user's grants, newest first, across pages, skipping what is not a grant", async () => {
    const kv = new MemoryKv(2);
    kv.grant(ADA, "g1", 100);
    kv.grant(ADA, "g2", 300);
    kv.grant(BOB, "g3", 200);
    kv.values.set(`grant:${ADA}:broken`, { id: "broken" });
    kv.values.set(`grant:${ADA}:g9:extra`, { id: "g9" });
    expect((await listGrants(kv)).map((grant) => grant.id)).toEqual(["g2", "g3", "g1"]);
    expect(await listGrants(kv, ADA)).toEqual([
      { id: "g2", userId: ADA, clientId: "client-g2", scope: ["notes:read"], createdAt: 300 },
      { id: "g1", userId: ADA, clientId: "client-g1", scope: ["notes:read"], createdAt: 100 },
    ]);
  });

  it("deletes a grant and its tokens only: not a grant whose id starts the same, not another user's", async () => {
    const kv = new MemoryKv();
    kv.grant(ADA, "g1", 100, 3);
    kv.grant(ADA, "g10", 100, 2);
    kv.grant(BOB, "g1", 100, 1);
    await deleteGrant(kv, ADA, "g1");
    expect([...kv.values.keys()].filter((name) => name.includes(`${ADA}:g1:`))).toEqual([]);
    expect(await findGrant(kv, ADA, "g1")).toBeUndefined();
    expect([...kv.values.keys()].filter((name) => name.startsWith(`token:${ADA}:g10:`))).toHaveLength(2);
    expect(await findGrant(kv, BOB, "g1")).toMatchObject({ id: "g1", userId: BOB });
  });

  it.each([
    ["a colon (it would shift the key layout)", "g1:", false],
    ["nothing", "", false],
    ["more than a KV key holds", "g".repeat(513), false],
    ["a library grant id", "Zx9_k-3pQ", true],
    ["an oauth-proxy user key", ADA, true],
  ])("isStorageId: %s → %s", (_label, id, expected) => {
    expect(isStorageId(id)).toBe(expected);
  });
});

// Grants as the admin CLI sees them, read and revoked in OAUTH_KV through the library's documented
// storage layout (`grant:{userId}:{grantId}`, `token:{userId}:{grantId}:{tokenId}`), exactly as
// `OAuthHelpers.listUserGrants` and `revokeGrant` do. The CLI runs in Node, where the library
// (which imports `cloudflare:workers`) cannot load; the Worker itself always uses the library.
// test/grants.test.ts checks both views agree on grants the library issued.
import { setDisabled, type UserDatabase } from "./users.ts";

/** The slice of a KV namespace used here: the Worker's binding and the CLI's proxy both fit. */
export interface GrantStore {
  list(options: { prefix: string; cursor?: string }): Promise<{
    keys: { name: string }[];
    list_complete: boolean;
    cursor?: string;
  }>;
  get(key: string, type: "json"): Promise<unknown>;
  delete(key: string): Promise<void>;
}

export interface GrantRow {
  id: string;
  userId: string;
  clientId: string;
  scope: string[];
  /** Seconds since the epoch. */
  createdAt: number;
}

/** Every key under `prefix`, across pages. */
async function keysUnder(kv: GrantStore, prefix: string): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await kv.list(cursor === undefined ? { prefix } : { prefix, cursor });
    names.push(...page.keys.map((key) => key.name));
    if (page.list_complete || page.cursor === undefined) return names;
    cursor = page.cursor;
  }
}

function isGrant(value: unknown): value is GrantRow {
  if (typeof value !== "object" || value === null) return false;
  const grant = value as Record<string, unknown>;
  return (
    typeof grant["id"] === "string" &&
    typeof grant["userId"] === "string" &&
    typeof grant["clientId"] === "string" &&
    Array.isArray(grant["scope"]) &&
    typeof grant["createdAt"] === "number"
  );
}

/** A user's grants (or everyone's), newest first. */
export async function listGrants(kv: GrantStore, userId?: string): Promise<GrantRow[]> {
  const prefix = userId === undefined ? "grant:" : `grant:${userId}:`;
  const grants: GrantRow[] = [];
  for (const name of await keysUnder(kv, prefix)) {
    // grant:{userId}:{grantId}: user ids never hold ":" (users.ts), grant ids never do either.
    if (name.split(":").length !== 3) continue;
    const value = await kv.get(name, "json");
    if (isGrant(value)) {
      grants.push({
        id: value.id,
        userId: value.userId,
        clientId: value.clientId,
        scope: value.scope.filter((scope): scope is string => typeof scope === "string"),
        createdAt: value.createdAt,
      });
    }
  }
  return grants.sort((a, b) => b.createdAt - a.createdAt);
}

/** Revokes one grant of `userId` with its tokens; false when that user has no such grant. */
export async function revokeGrant(kv: GrantStore, userId: string, grantId: string): Promise<boolean> {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(grantId) || userId.includes(":")) return false;
  const grantKey = `grant:${userId}:${grantId}`;
  if (!isGrant(await kv.get(grantKey, "json"))) return false;
  // Tokens first: a grant whose tokens outlived it would be a grant still in use.
  for (const name of await keysUnder(kv, `token:${userId}:${grantId}:`)) await kv.delete(name);
  await kv.delete(grantKey);
  return true;
}

/**
 * Disables an account: no sign-in, sessions deleted (users.ts), and every grant revoked with its
 * tokens, so the library refuses them from the next request. Returns how many grants there were.
 */
export async function disableAccount(db: UserDatabase, kv: GrantStore, userId: string): Promise<number> {
  await setDisabled(db, userId, true);
  return revokeAllGrants(kv, userId);
}

/** Revokes every grant of `userId` with its tokens; how many there were. */
export async function revokeAllGrants(kv: GrantStore, userId: string): Promise<number> {
  let revoked = 0;
  for (const grant of await listGrants(kv, userId)) if (await revokeGrant(kv, userId, grant.id)) revoked++;
  return revoked;
}

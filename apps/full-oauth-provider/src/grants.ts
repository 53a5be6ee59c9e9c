// Grants as the admin CLI sees them, read and revoked in OAUTH_KV through the library's documented
// storage layout (`grant:{userId}:{grantId}`, `token:{userId}:{grantId}:{tokenId}`), exactly as
// `OAuthHelpers.listUserGrants` and `revokeGrant` do. The CLI runs in Node, where the library
// (which imports `cloudflare:workers`) cannot load; the Worker itself always uses the library.
// test/grants.test.ts checks both views agree on grants the library issued.
import { recordRevokedGrants, setDisabled, type UserDatabase } from "./users.ts";

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

/** Whether `userId` has a grant `grantId` (a malformed id has none). */
async function grantExists(kv: GrantStore, userId: string, grantId: string): Promise<boolean> {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(grantId) || userId.includes(":")) return false;
  return isGrant(await kv.get(`grant:${userId}:${grantId}`, "json"));
}

/** The library's record of a grant, tokens first: a grant whose tokens outlived it would still be in use. */
async function deleteGrant(kv: GrantStore, userId: string, grantId: string): Promise<void> {
  for (const name of await keysUnder(kv, `token:${userId}:${grantId}:`)) await kv.delete(name);
  await kv.delete(`grant:${userId}:${grantId}`);
}

/**
 * Revokes one grant of `userId`: first in D1 (every location refuses its tokens within seconds),
 * then in KV with its tokens. False when that user has no such grant.
 */
export async function revokeGrant(db: UserDatabase, kv: GrantStore, userId: string, grantId: string): Promise<boolean> {
  if (!(await grantExists(kv, userId, grantId))) return false;
  await recordRevokedGrants(db, userId, [grantId]);
  await deleteGrant(kv, userId, grantId);
  return true;
}

/**
 * Disables an account: no sign-in, sessions deleted (users.ts), and every grant revoked, in D1
 * and then in KV with its tokens. Returns how many grants there were.
 */
export async function disableAccount(db: UserDatabase, kv: GrantStore, userId: string): Promise<number> {
  await setDisabled(db, userId, true);
  const grants = await listGrants(kv, userId);
  await recordRevokedGrants(
    db,
    userId,
    grants.map((grant) => grant.id),
  );
  for (const grant of grants) await deleteGrant(kv, userId, grant.id);
  return grants.length;
}

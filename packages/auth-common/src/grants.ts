// The OAuth apps' grants as their admin CLIs see them, read and revoked in OAUTH_KV through the
// library's documented storage layout (`grant:{userId}:{grantId}`,
// `token:{userId}:{grantId}:{tokenId}`), exactly as `OAuthHelpers.listUserGrants` and
// `revokeGrant` do. A CLI runs in Node, where the library (which imports `cloudflare:workers`)
// cannot load, so this module imports nothing of it; the Workers themselves use the library.
// full-oauth-provider's test/grants.test.ts checks both views agree on grants the library issued.
// What an app does besides (full-oauth-provider's D1 revocation record, its audit) is the app's.

/** The slice of a KV namespace used here: the Worker's binding and a CLI's proxy both fit. */
export interface GrantStore {
  list(options: { prefix: string; cursor?: string }): Promise<{
    keys: { name: string }[];
    list_complete: boolean;
    cursor?: string;
  }>;
  get(key: string, type: "json"): Promise<unknown>;
  delete(key: string): Promise<void>;
}

/** One grant: who (the library's `userId`, the app's), which client, what scopes, since when. */
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

/**
 * Whether `id` can name a grant or a user in a storage key: the library's grant ids are
 * URL-safe random strings, and a `:` would break the `grant:{userId}:{grantId}` layout (both
 * apps' user ids never hold one: full-oauth-provider's are random, oauth-proxy's are
 * percent-encoded tenant keys).
 */
export function isStorageId(id: string): boolean {
  return id.length > 0 && id.length <= 512 && !id.includes(":");
}

/** A user's grants (or everyone's), newest first. */
export async function listGrants(kv: GrantStore, userId?: string): Promise<GrantRow[]> {
  if (userId !== undefined && !isStorageId(userId)) return [];
  const prefix = userId === undefined ? "grant:" : `grant:${userId}:`;
  const grants: GrantRow[] = [];
  for (const name of await keysUnder(kv, prefix)) {
    // grant:{userId}:{grantId}, neither holding ":" (isStorageId).
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

/** `userId`'s grant `grantId`, or undefined (a malformed id has none). */
export async function findGrant(kv: GrantStore, userId: string, grantId: string): Promise<GrantRow | undefined> {
  if (!isStorageId(userId) || !isStorageId(grantId)) return undefined;
  const value = await kv.get(`grant:${userId}:${grantId}`, "json");
  return isGrant(value) ? value : undefined;
}

/**
 * Deletes the library's record of a grant, tokens first: a grant whose tokens outlived it would
 * still be in use. Its access tokens are refused from the next request (the library finds no
 * token record), its refresh token is `invalid_grant` (no grant record).
 *
 * Does not: revoke anything upstream, or tell other locations faster than KV propagates (up to
 * 60 s elsewhere; full-oauth-provider records revocations in D1 for that).
 */
export async function deleteGrant(kv: GrantStore, userId: string, grantId: string): Promise<void> {
  if (!isStorageId(userId) || !isStorageId(grantId)) return;
  for (const name of await keysUnder(kv, `token:${userId}:${grantId}:`)) await kv.delete(name);
  await kv.delete(`grant:${userId}:${grantId}`);
}

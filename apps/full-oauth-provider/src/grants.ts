// Grants as the admin CLI sees them, read and revoked in OAUTH_KV through the library's documented
// storage layout (`grant:{userId}:{grantId}`, `token:{userId}:{grantId}:{tokenId}`), exactly as
// `OAuthHelpers.listUserGrants` and `revokeGrant` do. The CLI runs in Node, where the library
// (which imports `cloudflare:workers`) cannot load; the Worker itself always uses the library.
// test/grants.test.ts checks both views agree on grants the library issued.
import { forgetApprovals } from "./approvals.ts";
import {
  audit,
  isKeyId,
  recordAndAuditRevokedGrants,
  recordRevokedGrants,
  replacePassword,
  setDisabled,
  type UserDatabase,
} from "./users.ts";

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

/** `userId`'s grant `grantId`, or undefined (a malformed id has none). */
async function findGrant(kv: GrantStore, userId: string, grantId: string): Promise<GrantRow | undefined> {
  if (!isKeyId(grantId) || userId.includes(":")) return undefined;
  const value = await kv.get(`grant:${userId}:${grantId}`, "json");
  return isGrant(value) ? value : undefined;
}

/** The library's record of a grant, tokens first: a grant whose tokens outlived it would still be in use. */
async function deleteGrant(kv: GrantStore, userId: string, grantId: string): Promise<void> {
  for (const name of await keysUnder(kv, `token:${userId}:${grantId}:`)) await kv.delete(name);
  await kv.delete(`grant:${userId}:${grantId}`);
}

/**
 * Revokes one grant of `userId`: first in D1 (every location refuses its tokens within seconds,
 * and the approval remembered for its client ends), then in KV with its tokens. With `by` (the
 * CLI's `cli`), audited as `grant_revoked` with that detail. Returns the grant, or undefined when
 * that user has no such grant.
 */
export async function revokeGrant(
  db: UserDatabase,
  kv: GrantStore,
  userId: string,
  grantId: string,
  by?: string,
): Promise<GrantRow | undefined> {
  const grant = await findGrant(kv, userId, grantId);
  if (grant === undefined) return undefined;
  if (by === undefined) await recordRevokedGrants(db, userId, [grantId]);
  else await recordAndAuditRevokedGrants(db, userId, [grant], { detail: by }, (entry) => audit(db, entry));
  await forgetApprovals(db, userId, grant.clientId);
  await deleteGrant(kv, userId, grantId);
  return grant;
}

/**
 * Revokes every grant of `userId` and forgets every approval they gave, in D1 and then in KV
 * with the grants' tokens. Returns how many grants there were.
 */
export async function revokeAllGrants(db: UserDatabase, kv: GrantStore, userId: string): Promise<number> {
  const grants = await listGrants(kv, userId);
  await recordRevokedGrants(
    db,
    userId,
    grants.map((grant) => grant.id),
  );
  await forgetApprovals(db, userId);
  for (const grant of grants) await deleteGrant(kv, userId, grant.id);
  return grants.length;
}

/**
 * Disables an account: no sign-in, sessions deleted (users.ts), every grant revoked and every
 * approval forgotten ({@link revokeAllGrants}). Returns how many grants there were.
 */
export async function disableAccount(db: UserDatabase, kv: GrantStore, userId: string): Promise<number> {
  await setDisabled(db, userId, true);
  return revokeAllGrants(db, kv, userId);
}

/**
 * Sets a new password for `userId`, as after a suspected compromise: every browser session of
 * theirs ends, every approval is forgotten and, unless `keepGrants`, every grant is revoked
 * ({@link revokeAllGrants}). Audited as `password_set` with `by` and what it ended. Returns how
 * many grants were revoked.
 */
export async function changePassword(
  db: UserDatabase,
  kv: GrantStore,
  userId: string,
  passwordHash: string,
  options: { keepGrants: boolean; by: string },
): Promise<number> {
  await replacePassword(db, userId, passwordHash);
  const revoked = options.keepGrants ? 0 : await revokeAllGrants(db, kv, userId);
  await audit(db, {
    event: "password_set",
    outcome: "ok",
    userId,
    detail: `${options.by}; sessions ended; ${options.keepGrants ? "grants kept" : `${String(revoked)} grants revoked`}`,
  });
  return revoked;
}

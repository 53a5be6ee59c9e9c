// Grants as the admin CLI ends them: the library's KV records through
// auth-common's grants module (the one implementation both OAuth apps' CLIs use), plus what only
// this app keeps — the revocation record in D1 that every location checks, the approvals it
// remembers, the audit log.
import { deleteGrant, findGrant, listGrants, type GrantRow, type GrantStore } from "@mcp-auth/auth-common/grants";
import { forgetApprovals } from "./approvals.ts";
import {
  audit,
  recordAndAuditRevokedGrants,
  recordRevokedGrants,
  replacePassword,
  setDisabled,
  type UserDatabase,
} from "./users.ts";

export { listGrants, type GrantRow, type GrantStore };

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

// Remembered approvals in D1, per user, client, redirect URI and resource, for exactly the scopes
// approved. Server-side so that Revoke, disabling an account and a credential change end them
// (a signed cookie outlives all three). The Worker and the admin CLI both go through this module.
import type { UserDatabase } from "./users.ts";

/** How long an approval is remembered. */
export const APPROVAL_TTL_SECONDS = 30 * 24 * 60 * 60;

/**
 * Most approvals one user keeps; older ones are forgotten first. A client on a new loopback port
 * each time is a new redirect URI, so its approvals would otherwise pile up for 30 days.
 */
export const MAX_APPROVALS_PER_USER = 50;

const now = () => Math.floor(Date.now() / 1000);

/** What an approval is bound to: the library's parsed authorization request has these fields. */
export interface ApprovalRequest {
  clientId: string;
  redirectUri: string;
  resource?: string | undefined;
  scope: readonly string[];
}

/**
 * Remembers that `userId` approved this request's client, redirect URI and resource for `scope`,
 * replacing an earlier approval of the same. Expired approvals, and the user's beyond the newest
 * {@link MAX_APPROVALS_PER_USER}, are pruned in the same batch.
 */
export async function rememberApproval(
  db: UserDatabase,
  userId: string,
  request: ApprovalRequest,
  scope: readonly string[],
): Promise<void> {
  const at = now();
  await db.batch([
    db.prepare("DELETE FROM approvals WHERE expires_at <= ?").bind(at),
    db
      .prepare(
        "INSERT INTO approvals (user_id, client_id, redirect_uri, resource, scopes, approved_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?) " +
          "ON CONFLICT (user_id, client_id, redirect_uri, resource) DO UPDATE SET scopes = excluded.scopes, approved_at = excluded.approved_at, expires_at = excluded.expires_at",
      )
      .bind(
        userId,
        request.clientId,
        request.redirectUri,
        request.resource ?? "",
        [...scope].join(" "),
        at,
        at + APPROVAL_TTL_SECONDS,
      ),
    db
      .prepare(
        "DELETE FROM approvals WHERE user_id = ?1 AND rowid NOT IN " +
          "(SELECT rowid FROM approvals WHERE user_id = ?1 ORDER BY approved_at DESC, rowid DESC LIMIT ?2)",
      )
      .bind(userId, MAX_APPROVALS_PER_USER),
  ]);
}

/**
 * Whether `userId` approved this request's client, redirect URI and resource, unexpired, for
 * every scope it asks for. A request that names no scope is never covered: the page picks them.
 */
export async function approvalCovers(db: UserDatabase, userId: string, request: ApprovalRequest): Promise<boolean> {
  if (request.scope.length === 0) return false;
  const row = await db
    .prepare(
      "SELECT scopes FROM approvals WHERE user_id = ? AND client_id = ? AND redirect_uri = ? AND resource = ? AND expires_at > ?",
    )
    .bind(userId, request.clientId, request.redirectUri, request.resource ?? "", now())
    .first<{ scopes: string }>();
  if (row === null) return false;
  const approved = new Set(row.scopes.split(" "));
  return request.scope.every((scope) => approved.has(scope));
}

/** Forgets `userId`'s approvals of `clientId`, or all of them (disable, credential change). */
export async function forgetApprovals(db: UserDatabase, userId: string, clientId?: string): Promise<void> {
  await (
    clientId === undefined
      ? db.prepare("DELETE FROM approvals WHERE user_id = ?").bind(userId)
      : db.prepare("DELETE FROM approvals WHERE user_id = ? AND client_id = ?").bind(userId, clientId)
  ).run();
}

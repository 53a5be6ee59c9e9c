// Whether a token's grant is still in force, as /mcp asks on every request. A separate module:
// the Worker's main module may export only handlers and classes.
import { AuthError } from "@mcp-auth/auth-common";
import type { AdmittedCaller } from "@mcp-auth/auth-common/authorization-server";
import { noteAppUse } from "./app-use.ts";
import type { AppContext } from "./context.ts";
import { grantStanding, type UserDatabase } from "./users.ts";

/**
 * How long an isolate trusts what D1 said about a grant. Revoking a grant or disabling its user
 * deletes it from KV, which the library reads on every request; KV's copies in other locations
 * may go on serving it for up to a minute, and D1, which answers the same everywhere, bounds that
 * to a few seconds without a D1 read per MCP request.
 */
export const ACCOUNT_CHECK_TTL_MS = 2000;
const checked = new Map<string, { ok: boolean; until: number }>();

/**
 * Whether `userId` exists and is enabled, their grant `grantId` is not revoked and neither is the
 * access token whose SHA-256 is `tokenHash` (RFC 7009), as D1 said at most
 * {@link ACCOUNT_CHECK_TTL_MS} ago.
 */
export async function tokenGrantInForce(
  db: UserDatabase,
  userId: string,
  grantId: string,
  tokenHash: string,
): Promise<boolean> {
  const key = `${userId} ${grantId} ${tokenHash}`;
  const cached = checked.get(key);
  if (cached !== undefined && cached.until > Date.now()) return cached.ok;
  const ok = (await grantStanding(db, userId, grantId, tokenHash)) === "in_force";
  if (checked.size > 10_000) checked.clear();
  checked.set(key, { ok, until: Date.now() + ACCOUNT_CHECK_TTL_MS });
  return ok;
}

/**
 * The authorization server's `admit`, before every MCP request: revoking a grant or disabling its
 * user deletes it from KV (the library refuses its tokens from then on); this check bounds what
 * KV's propagation delay could still let through, for the token itself too (RFC 7009).
 * Validates: {@link tokenGrantInForce}, then notes the app's use. Does not validate: the token
 * (the library did).
 */
export async function admitGrantInForce(
  context: Pick<AppContext, "db" | "defer">,
  { identity, grantId, tokenHash }: AdmittedCaller,
): Promise<void> {
  if (grantId === undefined || !(await tokenGrantInForce(context.db, identity.subject, grantId, tokenHash))) {
    throw new AuthError("invalid_token", "This token's grant was revoked or its account cannot sign in.");
  }
  noteAppUse(context, identity.subject, identity.clientId);
}

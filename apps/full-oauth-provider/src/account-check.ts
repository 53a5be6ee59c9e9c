// Whether an account may still use its tokens, as /mcp asks on every request. A separate module:
// the Worker's main module may export only handlers and classes.
import { getUser, type UserDatabase } from "./users.ts";

/**
 * How long an isolate trusts what D1 said about an account. Disabling revokes the account's
 * grants, which the library checks on every request; this bounds the rest (a location that has
 * not seen the revocation in KV yet) to a few seconds, without a D1 read per MCP request.
 */
export const ACCOUNT_CHECK_TTL_MS = 2000;
const accountChecked = new Map<string, { ok: boolean; until: number }>();

/** Whether `userId` exists and is not disabled, as D1 said at most {@link ACCOUNT_CHECK_TTL_MS} ago. */
export async function accountMaySignIn(db: UserDatabase, userId: string): Promise<boolean> {
  const cached = accountChecked.get(userId);
  if (cached !== undefined && cached.until > Date.now()) return cached.ok;
  const user = await getUser(db, userId);
  const ok = user !== undefined && !user.disabled;
  if (accountChecked.size > 10_000) accountChecked.clear();
  accountChecked.set(userId, { ok, until: Date.now() + ACCOUNT_CHECK_TTL_MS });
  return ok;
}

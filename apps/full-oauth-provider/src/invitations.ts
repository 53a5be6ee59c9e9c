// Invitations in D1: a user the admin CLI added without any credential, and a one-time code with
// which the person sets their first one (a password or a passkey) on /invite. Only the code's
// SHA-256 is stored. The Worker and the admin CLI both go through this module; every statement
// binds its values.
import { sha256Hex } from "@mcp-auth/auth-common";
import { base64url } from "jose";
import { addUser, findByEmail, getUser, type User, type UserDatabase } from "./users.ts";

/** How long an invitation lasts unless the CLI is told otherwise. */
export const DEFAULT_INVITE_DAYS = 7;
/** The longest an invitation may last: a link lying in a mailbox is a credential. */
export const MAX_INVITE_DAYS = 30;

/** A code as {@link newInviteCode} makes them: 32 random bytes, base64url (43 characters). */
const CODE = /^[A-Za-z0-9_-]{43}$/;

const now = () => Math.floor(Date.now() / 1000);

/** A new code: 256 random bits, so guessing one is hopeless and a plain hash is enough. */
function newInviteCode(): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(32)));
}

/** Whether `value` has the shape of a code: anything else is unknown without a lookup. */
export function isInviteCode(value: string): boolean {
  return CODE.test(value);
}

const codeHash = (code: string) => sha256Hex(`invite:${code}`);

/** Thrown by {@link inviteUser}: the email's account can already sign in, or is disabled. */
export class NotInvitable extends Error {
  override readonly name = "NotInvitable";
}

/** Whether `userId` has a password or a passkey: a way to sign in of their own. */
export async function hasCredential(db: UserDatabase, userId: string): Promise<boolean> {
  const row = await db
    .prepare(
      "SELECT password_hash IS NOT NULL OR EXISTS (SELECT 1 FROM passkeys WHERE user_id = ?1) AS has FROM users WHERE id = ?1",
    )
    .bind(userId)
    .first<{ has: number }>();
  return row !== null && row.has !== 0;
}

/** What `users invite` made: the user (new or reused), the code (shown once) and its expiry. */
export interface Invitation {
  user: User;
  code: string;
  /** Seconds since the epoch. */
  expiresAt: number;
  /** True when the user existed (a rerun): their earlier link stopped working. */
  reissued: boolean;
}

/**
 * Invites `email`: adds the user without a password, or reuses one that has no password and no
 * passkey (a rerun), and stores a new code valid for `days`; the user's earlier unused codes stop
 * working in the same batch. Throws {@link NotInvitable} for an account that can sign in or is
 * disabled, and `addUser`'s errors for a bad email or name.
 */
export async function inviteUser(
  db: UserDatabase,
  input: { email: string; displayName: string; days: number },
): Promise<Invitation> {
  const found = await findByEmail(db, input.email);
  if (found !== undefined && found.user.disabled) {
    throw new NotInvitable(`${found.user.email} is disabled: enable the account first`);
  }
  if (found !== undefined && (await hasCredential(db, found.user.id))) {
    throw new NotInvitable(`${found.user.email} can already sign in: use set-password to give a new password`);
  }
  const user = found?.user ?? (await addUser(db, { ...input, passwordHash: null }));
  const code = newInviteCode();
  const created = now();
  const expiresAt = created + input.days * 24 * 60 * 60;
  await db.batch([
    db.prepare("DELETE FROM invitations WHERE user_id = ? AND accepted_at IS NULL").bind(user.id),
    db
      .prepare("INSERT INTO invitations (code_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)")
      .bind(await codeHash(code), user.id, created, expiresAt),
  ]);
  return { user, code, expiresAt, reissued: found !== undefined };
}

/** Why an invitation cannot be used: the `invite_refused` audit row's detail. */
export type InviteRefusal = "unknown_code" | "expired" | "used" | "not_pending";

/** An invitation as the page sees it: usable (with its user), or why not. */
export type InviteStanding =
  { ok: true; user: User; expiresAt: number } | { ok: false; reason: InviteRefusal; userId?: string | undefined };

interface InvitationRow {
  user_id: string;
  expires_at: number;
  accepted_at: number | null;
}

/**
 * Whether `code` may be used now: it is known, unexpired, unused, and its user is enabled and has
 * no credential yet (a password set by the CLI meanwhile ends it). Changes nothing.
 */
export async function inviteStanding(db: UserDatabase, code: string): Promise<InviteStanding> {
  if (!isInviteCode(code)) return { ok: false, reason: "unknown_code" };
  const row = await db
    .prepare("SELECT user_id, expires_at, accepted_at FROM invitations WHERE code_hash = ?")
    .bind(await codeHash(code))
    .first<InvitationRow>();
  if (row === null) return { ok: false, reason: "unknown_code" };
  const userId = row.user_id;
  if (row.accepted_at !== null) return { ok: false, reason: "used", userId };
  if (row.expires_at <= now()) return { ok: false, reason: "expired", userId };
  const user = await getUser(db, userId);
  if (user === undefined || user.disabled || (await hasCredential(db, userId))) {
    return { ok: false, reason: "not_pending", userId };
  }
  return { ok: true, user, expiresAt: row.expires_at };
}

/**
 * Uses `code` up for `method`, once: one conditional UPDATE, so of two accepts racing only one
 * gets the user id back, and only while the code is unexpired and its user enabled with no
 * credential. Returns that user id, or undefined (nothing changed).
 */
export async function consumeInvitation(
  db: UserDatabase,
  code: string,
  method: "password" | "passkey",
): Promise<string | undefined> {
  if (!isInviteCode(code)) return undefined;
  const at = now();
  const row = await db
    .prepare(
      "UPDATE invitations SET accepted_at = ?1, method = ?2 WHERE code_hash = ?3 AND accepted_at IS NULL AND expires_at > ?1 " +
        "AND user_id IN (SELECT id FROM users WHERE disabled_at IS NULL AND password_hash IS NULL) " +
        "AND NOT EXISTS (SELECT 1 FROM passkeys WHERE passkeys.user_id = invitations.user_id) RETURNING user_id",
    )
    .bind(at, method, await codeHash(code))
    .first<{ user_id: string }>();
  return row?.user_id;
}

/**
 * Sets the first password of `userId`, who just won {@link consumeInvitation}; only while they
 * have none, so it never overwrites one. Returns false when nothing changed.
 */
export async function setFirstPassword(db: UserDatabase, userId: string, passwordHash: string): Promise<boolean> {
  const result = await db
    .prepare("UPDATE users SET password_hash = ? WHERE id = ? AND password_hash IS NULL")
    .bind(passwordHash, userId)
    .run();
  return result.meta.changes > 0;
}

/** Users still without a credential who hold an invitation not yet accepted: user id → its newest expiry (seconds since the epoch). */
export async function pendingInvitations(db: UserDatabase): Promise<Map<string, number>> {
  const { results } = await db
    .prepare(
      "SELECT user_id, MAX(expires_at) AS expires_at FROM invitations WHERE accepted_at IS NULL " +
        "AND user_id IN (SELECT id FROM users WHERE password_hash IS NULL) " +
        "AND NOT EXISTS (SELECT 1 FROM passkeys WHERE passkeys.user_id = invitations.user_id) GROUP BY user_id",
    )
    .all<{ user_id: string; expires_at: number }>();
  return new Map(results.map((row) => [row.user_id, row.expires_at]));
}

// The user store, browser sessions and audit log in D1. The Worker and the admin CLI both go
// through this module, so there is one definition of what a user row means. Every statement
// binds its values (`?`): no SQL is ever built from input.
import type { SqlDatabase } from "@mcp-auth/auth-common";

/** The user tables' database: the Worker's D1 binding, or the CLI's binding proxy. */
export type UserDatabase = SqlDatabase;

export interface User {
  id: string;
  email: string;
  displayName: string;
  /** Seconds since the epoch. */
  createdAt: number;
  disabled: boolean;
}

interface UserRow {
  id: string;
  email: string;
  display_name: string;
  password_hash: string | null;
  created_at: number;
  disabled_at: number | null;
}

const now = () => Math.floor(Date.now() / 1000);

/** A user id: `u_` and a random UUID's hex. Never contains `:`, which the library's keys reserve. */
function newUserId(): string {
  return `u_${crypto.randomUUID().replaceAll("-", "")}`;
}

/** Longest email accepted (RFC 5321's path limit). */
export const MAX_EMAIL_LENGTH = 254;
const MAX_DISPLAY_NAME_LENGTH = 100;

/** How emails are compared: trimmed, NFC, lower-cased. One address is one account. */
export function emailKey(email: string): string {
  return email.trim().normalize("NFC").toLowerCase();
}

/** Why an email cannot be used for an account, or undefined. Deliberately loose: one `@`, no spaces. */
function emailProblem(email: string): string | undefined {
  const trimmed = email.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_EMAIL_LENGTH)
    return `An email has 1 to ${MAX_EMAIL_LENGTH} characters.`;
  if (!/^[^\s@\p{Cc}]+@[^\s@\p{Cc}]+$/u.test(trimmed)) return "That is not an email address.";
  return undefined;
}

/** Why a display name cannot be used, or undefined. */
function displayNameProblem(name: string): string | undefined {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_DISPLAY_NAME_LENGTH) {
    return `A display name has 1 to ${MAX_DISPLAY_NAME_LENGTH} characters.`;
  }
  if (/[\p{Cc}<>]/u.test(trimmed)) return "A display name is plain text.";
  return undefined;
}

function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    displayName: row.display_name,
    createdAt: row.created_at,
    disabled: row.disabled_at !== null,
  };
}

/** Thrown by {@link addUser} when the email already has an account. */
export class EmailTaken extends Error {
  override readonly name = "EmailTaken";
}

/** Thrown by {@link addUser} for an email or display name it does not accept; the message says why. */
export class InvalidUser extends Error {
  override readonly name = "InvalidUser";
}

/** Adds a user; `passwordHash` from `hashPassword`, or null for a user without a password. */
export async function addUser(
  db: UserDatabase,
  input: { email: string; displayName: string; passwordHash: string | null },
): Promise<User> {
  const problem = emailProblem(input.email) ?? displayNameProblem(input.displayName);
  if (problem !== undefined) throw new InvalidUser(problem);
  const row: UserRow = {
    id: newUserId(),
    email: input.email.trim(),
    display_name: input.displayName.trim(),
    password_hash: input.passwordHash,
    created_at: now(),
    disabled_at: null,
  };
  try {
    await db
      .prepare(
        "INSERT INTO users (id, email, email_key, display_name, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      )
      .bind(row.id, row.email, emailKey(row.email), row.display_name, row.password_hash, row.created_at)
      .run();
  } catch (error) {
    if (error instanceof Error && /UNIQUE constraint failed: users\.email_key/.test(error.message)) {
      throw new EmailTaken(`${row.email} already has an account`);
    }
    throw error;
  }
  return toUser(row);
}

/** A user by id, or undefined. */
export async function getUser(db: UserDatabase, id: string): Promise<User | undefined> {
  const row = await db.prepare("SELECT * FROM users WHERE id = ?").bind(id).first<UserRow>();
  return row === null ? undefined : toUser(row);
}

/** A user and their password hash by email (any case), or undefined. */
export async function findByEmail(
  db: UserDatabase,
  email: string,
): Promise<{ user: User; passwordHash: string | null } | undefined> {
  const row = await db.prepare("SELECT * FROM users WHERE email_key = ?").bind(emailKey(email)).first<UserRow>();
  return row === null ? undefined : { user: toUser(row), passwordHash: row.password_hash };
}

export async function listUsers(db: UserDatabase): Promise<User[]> {
  const { results } = await db.prepare("SELECT * FROM users ORDER BY created_at, id").all<UserRow>();
  return results.map(toUser);
}

/**
 * Disables or enables a user. Disabling also ends their browser sessions; the caller revokes
 * their grants (the library's), so tokens stop working at once. Returns false for an unknown id.
 */
export async function setDisabled(db: UserDatabase, id: string, disabled: boolean): Promise<boolean> {
  const update = db.prepare("UPDATE users SET disabled_at = ? WHERE id = ?").bind(disabled ? now() : null, id);
  if (!disabled) return (await update.run()).meta.changes > 0;
  const [result] = await db.batch([update, db.prepare("DELETE FROM sessions WHERE user_id = ?").bind(id)]);
  return (result?.meta.changes ?? 0) > 0;
}

/**
 * A credential change: replaces `id`'s password hash, ends every browser session of theirs and
 * forgets every approval they gave, in one batch. Their grants are the caller's (grants.ts).
 * Returns false for an unknown id.
 */
export async function replacePassword(db: UserDatabase, id: string, passwordHash: string): Promise<boolean> {
  const [result] = await db.batch([
    db.prepare("UPDATE users SET password_hash = ? WHERE id = ?").bind(passwordHash, id),
    db.prepare("DELETE FROM sessions WHERE user_id = ?").bind(id),
    db.prepare("DELETE FROM approvals WHERE user_id = ?").bind(id),
  ]);
  return (result?.meta.changes ?? 0) > 0;
}

/** Ends every browser session of `userId` but the one whose id hashes to `keepIdHash`. */
export async function endOtherSessions(db: UserDatabase, userId: string, keepIdHash: string): Promise<void> {
  await db.prepare("DELETE FROM sessions WHERE user_id = ? AND id_hash != ?").bind(userId, keepIdHash).run();
}

/**
 * Stores a rehash of the same password at sign-in (new parameters or pepper): nothing ends. Only
 * while the hash is still `previousHash`, so a rehash never undoes a password change made meanwhile.
 */
export async function rehashPassword(
  db: UserDatabase,
  id: string,
  previousHash: string,
  passwordHash: string,
): Promise<boolean> {
  const result = await db
    .prepare("UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?")
    .bind(passwordHash, id, previousHash)
    .run();
  return result.meta.changes > 0;
}

// ── grants in force ──────────────────────────────────────────────────────────────────────────

/** How long a revoked grant's row is kept: far longer than KV takes to show its deletion everywhere. */
export const REVOKED_GRANT_KEEP_SECONDS = 24 * 60 * 60;

/**
 * An id as the library's KV keys hold them (`grant:{userId}:{grantId}`): a grant id as the
 * library makes them, a user id as {@link newUserId} does. Anything else is refused before a lookup.
 */
export function isKeyId(id: string): boolean {
  return /^[A-Za-z0-9_-]{1,128}$/.test(id);
}

/**
 * Records grants of `userId` as revoked, before the library deletes them from KV: D1 answers
 * the same in every location at once, KV's cached copies may not for up to a minute. Rows past
 * {@link REVOKED_GRANT_KEEP_SECONDS} are pruned in the same batch.
 */
export async function recordRevokedGrants(
  db: UserDatabase,
  userId: string,
  grantIds: readonly string[],
): Promise<void> {
  const at = now();
  await db.batch([
    db.prepare("DELETE FROM revoked_grants WHERE revoked_at < ?").bind(at - REVOKED_GRANT_KEEP_SECONDS),
    // One statement however many grants a disabled account had (D1 counts statements per request).
    db
      .prepare(
        "INSERT OR IGNORE INTO revoked_grants (grant_id, user_id, revoked_at) SELECT value, ?, ? FROM json_each(?)",
      )
      .bind(userId, at, JSON.stringify(grantIds)),
  ]);
}

/** A grant being revoked, as its `grant_revoked` audit row names it. */
export interface RevokedGrant {
  id: string;
  clientId: string | undefined;
}

/**
 * Records `grants` of `userId` as revoked ({@link recordRevokedGrants}), then writes one
 * `grant_revoked` audit row per grant with `why` (`account_page`, `replaced`, `token_endpoint`,
 * `cli`) through `write`: the Worker's deferred audit, or the CLI's awaited one.
 */
export async function recordAndAuditRevokedGrants(
  db: UserDatabase,
  userId: string,
  grants: readonly RevokedGrant[],
  why: { detail: string; address?: string | undefined },
  write: (entry: AuditEvent) => void | Promise<void>,
): Promise<void> {
  if (grants.length === 0) return;
  await recordRevokedGrants(
    db,
    userId,
    grants.map((grant) => grant.id),
  );
  for (const grant of grants) {
    await write({
      event: "grant_revoked",
      outcome: "ok",
      userId,
      clientId: grant.clientId,
      grantId: grant.id,
      address: why.address,
      detail: why.detail,
    });
  }
}

/**
 * Records an access token of `userId` its client revoked (RFC 7009), by its SHA-256, after the
 * library deleted it from KV. Rows past {@link REVOKED_GRANT_KEEP_SECONDS} (far longer than an
 * access token lives) are pruned in the same batch.
 */
export async function recordRevokedToken(db: UserDatabase, userId: string, tokenHash: string): Promise<void> {
  const at = now();
  await db.batch([
    db.prepare("DELETE FROM revoked_tokens WHERE revoked_at < ?").bind(at - REVOKED_GRANT_KEEP_SECONDS),
    db
      .prepare("INSERT OR IGNORE INTO revoked_tokens (token_hash, user_id, revoked_at) VALUES (?, ?, ?)")
      .bind(tokenHash, userId, at),
  ]);
}

/** Whether tokens of a grant may be used, and if not, why. */
export type GrantStanding = "in_force" | "no_such_user" | "user_disabled" | "grant_revoked" | "token_revoked";

/**
 * Whether tokens of `userId`'s grant `grantId` may be used: the user exists, is enabled, and the
 * grant is not revoked; with `tokenHash` (an access token's SHA-256), that token is not revoked either.
 */
export async function grantStanding(
  db: UserDatabase,
  userId: string,
  grantId: string,
  tokenHash = "",
): Promise<GrantStanding> {
  const row = await db
    .prepare(
      "SELECT disabled_at, EXISTS (SELECT 1 FROM revoked_grants WHERE grant_id = ? AND user_id = ?) AS revoked, " +
        "EXISTS (SELECT 1 FROM revoked_tokens WHERE token_hash = ? AND user_id = ?) AS token_revoked " +
        "FROM users WHERE id = ?",
    )
    .bind(grantId, userId, tokenHash, userId, userId)
    .first<{ disabled_at: number | null; revoked: number; token_revoked: number }>();
  if (row === null) return "no_such_user";
  if (row.disabled_at !== null) return "user_disabled";
  if (row.revoked !== 0) return "grant_revoked";
  return row.token_revoked === 0 ? "in_force" : "token_revoked";
}

// ── sessions ──────────────────────────────────────────────────────────────────────────────────

/** How long a browser stays signed in. */
export const SESSION_TTL_SECONDS = 12 * 60 * 60;

/** Stores a new session for `userId` under the id's hash; returns its expiry. */
export async function createSession(db: UserDatabase, idHash: string, userId: string): Promise<number> {
  const created = now();
  const expires = created + SESSION_TTL_SECONDS;
  await db
    .prepare("INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)")
    .bind(idHash, userId, created, expires)
    .run();
  return expires;
}

/** The signed-in, enabled user of an unexpired session, or undefined. */
export async function sessionUser(db: UserDatabase, idHash: string): Promise<User | undefined> {
  const row = await db
    .prepare(
      "SELECT users.* FROM sessions JOIN users ON users.id = sessions.user_id WHERE sessions.id_hash = ? AND sessions.expires_at > ? AND users.disabled_at IS NULL",
    )
    .bind(idHash, now())
    .first<UserRow>();
  return row === null ? undefined : toUser(row);
}

/** Ends a session (sign-out). Expired rows are cleared on the way. */
export async function endSession(db: UserDatabase, idHash: string): Promise<void> {
  await db.prepare("DELETE FROM sessions WHERE id_hash = ? OR expires_at <= ?").bind(idHash, now()).run();
}

// ── audit log ─────────────────────────────────────────────────────────────────────────────────

export interface AuditEvent {
  event: string;
  outcome: string;
  userId?: string | undefined;
  clientId?: string | undefined;
  grantId?: string | undefined;
  address?: string | undefined;
  /** A stable reason code; never a secret, a token or a password. */
  detail?: string | undefined;
}

export interface AuditRow extends Required<Pick<AuditEvent, "event" | "outcome">> {
  id: number;
  at: number;
  userId: string | null;
  clientId: string | null;
  grantId: string | null;
  address: string | null;
  detail: string | null;
}

export async function audit(db: UserDatabase, entry: AuditEvent): Promise<void> {
  await db
    .prepare(
      "INSERT INTO audit_log (at, event, outcome, user_id, client_id, grant_id, address, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(
      now(),
      entry.event,
      entry.outcome,
      entry.userId ?? null,
      entry.clientId ?? null,
      entry.grantId ?? null,
      entry.address ?? null,
      entry.detail?.slice(0, 200) ?? null,
    )
    .run();
}

/** Audit rows, newest first, optionally for one user and from a time on. */
export async function readAudit(
  db: UserDatabase,
  filter: { userId?: string | undefined; since?: number | undefined; limit?: number | undefined } = {},
): Promise<AuditRow[]> {
  const { results } = await db
    .prepare(
      "SELECT id, at, event, outcome, user_id AS userId, client_id AS clientId, grant_id AS grantId, address, detail FROM audit_log WHERE (?1 IS NULL OR user_id = ?1) AND at >= ?2 ORDER BY id DESC LIMIT ?3",
    )
    .bind(filter.userId ?? null, filter.since ?? 0, Math.min(Math.max(filter.limit ?? 100, 1), 10_000))
    .all<AuditRow>();
  return results;
}

// ── connected apps ────────────────────────────────────────────────────────────────────────────

/** Records that `clientId` used its grant for `userId` now. */
export async function touchAppUse(db: UserDatabase, userId: string, clientId: string): Promise<void> {
  await db
    .prepare(
      "INSERT INTO app_use (user_id, client_id, last_used_at) VALUES (?, ?, ?) ON CONFLICT (user_id, client_id) DO UPDATE SET last_used_at = excluded.last_used_at",
    )
    .bind(userId, clientId, now())
    .run();
}

/** When each of a user's apps was last used: client id → seconds since the epoch. */
export async function appUse(db: UserDatabase, userId: string): Promise<Map<string, number>> {
  const { results } = await db
    .prepare("SELECT client_id, last_used_at FROM app_use WHERE user_id = ?")
    .bind(userId)
    .all<{ client_id: string; last_used_at: number }>();
  return new Map(results.map((row) => [row.client_id, row.last_used_at]));
}

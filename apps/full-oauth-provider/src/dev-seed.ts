// The account `pnpm dev` seeds into the local state, and whether this server is running with it.
import { isLoopbackHostname } from "@mcp-auth/auth-common";
import { verifyPassword, type Peppers } from "@mcp-auth/auth-common/accounts";
import { findByEmail, type UserDatabase } from "./users.ts";

/** The seeded local account `pnpm dev` prints. Local state only: `users seed-dev` refuses --remote. */
export const DEV_USER = {
  email: "dev@example.com",
  name: "Dev User",
  password: "dev-only-password-for-local-use",
} as const;

/**
 * The dev sign-in, when this server is the local dev server and the seeded account still signs
 * in with the dev password; undefined otherwise. Only a plain-http loopback `PUBLIC_ORIGIN` (what
 * `ALLOW_INSECURE_HTTP_LOOPBACK` permits) ever asks D1: a deployed server never shows it.
 */
export async function devSignIn(
  db: UserDatabase,
  publicOrigin: string,
  peppers: Peppers,
): Promise<{ email: string; password: string } | undefined> {
  const origin = new URL(publicOrigin);
  if (origin.protocol !== "http:" || !isLoopbackHostname(origin.hostname)) return undefined;
  const found = await findByEmail(db, DEV_USER.email);
  if (found === undefined || found.user.disabled) return undefined;
  // A password changed since the seed is no longer the one to print.
  const check = await verifyPassword(found.passwordHash, DEV_USER.password, peppers);
  return check.ok ? { email: DEV_USER.email, password: DEV_USER.password } : undefined;
}

// Browser sessions for pages a Worker serves itself (sign-in, consent, account): the cookie, the
// id as stored, the CSRF token bound to it, where a form may come from and where a sign-in may
// send the browser next. Storage is the app's; nothing here keeps state.

import { base64url } from "jose";
import { sha256Hex, timingSafeEqual } from "./verifier.ts";

/**
 * The cookie's name. `__Host-` makes the browser refuse it unless it is Secure, has `Path=/` and no
 * `Domain`, so no sibling subdomain can set or shadow it. Browsers treat `http://localhost` and
 * `http://127.0.0.1` as secure contexts, so it works in `wrangler dev` too.
 */
export const SESSION_COOKIE = "__Host-session";

const encoder = new TextEncoder();

/** 32 random bytes, base64url: what the cookie carries. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/** A new session id (256 random bits). Issue one at every sign-in: an id is never carried over. */
export function newSessionId(): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(32)));
}

/**
 * What the store keys a session by: the id's SHA-256, so a leaked session table cannot be
 * replayed as cookies.
 */
export function sessionIdHash(id: string): Promise<string> {
  return sha256Hex(`session:${id}`);
}

/** `Set-Cookie` for a session id: HttpOnly, Secure, SameSite=Lax, host-only, expiring with the session. */
export function sessionCookie(id: string, maxAgeSeconds: number): string {
  if (!SESSION_ID.test(id)) throw new Error("not a session id");
  const age = Math.max(0, Math.floor(maxAgeSeconds));
  return `${SESSION_COOKIE}=${id}; Path=/; Max-Age=${age}; HttpOnly; Secure; SameSite=Lax`;
}

/** `Set-Cookie` that removes the session cookie (sign-out, or a session the store no longer has). */
export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax`;
}

/**
 * The session id the request's cookie carries, or undefined. Anything not shaped like an id we
 * issue is ignored, and so is a request carrying the cookie more than once (a sibling that
 * managed to plant a second one must not get to choose which is read).
 */
export function readSessionCookie(request: Request): string | undefined {
  const header = request.headers.get("cookie");
  if (header === null) return undefined;
  const values = header
    .split(";")
    .map((pair) => pair.trim())
    .filter((pair) => pair.startsWith(`${SESSION_COOKIE}=`))
    .map((pair) => pair.slice(SESSION_COOKIE.length + 1));
  if (values.length !== 1) return undefined;
  const [value] = values;
  return value !== undefined && SESSION_ID.test(value) ? value : undefined;
}

async function hmac(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  return base64url.encode(new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(message))));
}

/**
 * The CSRF token for a session's forms: HMAC-SHA256(secret, session id, purpose). Bound to the
 * session, so a token lifted from another session (or from before sign-in) is worthless, and
 * to the form's purpose, so a token for one action cannot authorize another.
 */
export function csrfToken(secret: string, sessionId: string, purpose: string): Promise<string> {
  return hmac(secret, `csrf\n${purpose}\n${sessionId}`);
}

/** Whether a form's CSRF token is the one for this session and purpose (constant time). */
export async function checkCsrfToken(
  secret: string,
  sessionId: string,
  purpose: string,
  presented: string | null | undefined,
): Promise<boolean> {
  if (typeof presented !== "string" || presented.length === 0 || presented.length > 100) return false;
  return timingSafeEqual(await csrfToken(secret, sessionId, purpose), presented);
}

/**
 * Whether a form POST came from another site. Sec-Fetch-Site says so directly in every current
 * browser. `Origin` alone is not enough: pages that send `Referrer-Policy: no-referrer` make a
 * browser send `Origin: null` even for a same-origin POST; a real other origin is refused.
 */
export function fromAnotherSite(request: Request, publicOrigin: string): boolean {
  const site = request.headers.get("sec-fetch-site");
  if (site !== null) return site !== "same-origin";
  const origin = request.headers.get("origin");
  return origin !== null && origin !== "null" && origin !== publicOrigin;
}

/**
 * Where a sign-in may send the browser next: only this origin's `/authorize?…` (the flow it
 * interrupted). Returns the path and query to redirect to, or undefined for anything else —
 * other hosts (`https://evil`, `//evil`, `/\evil`), other paths, encoded slashes or backslashes
 * that a browser or proxy might decode into one of those, control characters, and userinfo.
 */
export function safeReturnTo(value: string | null | undefined, publicOrigin: string): string | undefined {
  if (typeof value !== "string" || value.length === 0 || value.length > 4096) return undefined;
  // Only a path: no scheme, no authority, no backslash (browsers read `/\host` as `//host`).
  if (!value.startsWith("/authorize?") || value.includes("\\")) return undefined;
  if (/[\p{Cc}\s]/u.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value, publicOrigin);
  } catch {
    return undefined;
  }
  if (url.origin !== new URL(publicOrigin).origin || url.pathname !== "/authorize") return undefined;
  if (url.username !== "" || url.password !== "" || url.hash !== "") return undefined;
  return `${url.pathname}${url.search}`;
}

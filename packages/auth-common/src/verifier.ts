import type { Method, VerifiedCredential } from "@mcp-auth/identity";

/** The credentials a request presents, read once by the gate. */
export interface PresentedCredentials {
  request: Request;
  /** The `Authorization: Bearer` token, when there is one (already syntax-checked). */
  bearer: string | undefined;
}

/**
 * One way of proving identity. `verify` answers `undefined` when the request carries no
 * credential of this kind (so the next method may look), returns the identity when it proves
 * one, and throws an `AuthError` when a credential of this kind is present but not valid.
 */
export interface CredentialVerifier {
  readonly method: Method;
  /**
   * Where its credential is: `bearer`, the `Authorization` bearer token (examined by the first
   * bearer method that claims it, and by no other: introspection would claim a JWT too);
   * `request`, elsewhere in the request (a header, the TLS client certificate), always examined.
   */
  readonly reads: "bearer" | "request";
  verify(credentials: PresentedCredentials): Promise<VerifiedCredential | undefined>;
}

/** Constant-time comparison of two strings (length is not secret: both are fixed-size hashes). */
export function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** Lower-case hex SHA-256 of a UTF-8 string. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

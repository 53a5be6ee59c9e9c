/**
 * The closed set of reasons a caller can fail to prove who it is. Each maps to exactly one HTTP
 * answer in `challenge.ts`; nothing else in the repo decides a 400/401/403/429/503 for auth.
 */
export type AuthErrorCode =
  /** No credential at all (RFC 6750 §3.1: the challenge then carries no error code). */
  | "missing_credentials"
  /** The request itself is malformed: wrong scheme, two credentials, a token where none may be. */
  | "invalid_request"
  /** A credential was sent but is not valid here: unknown, expired, revoked, wrong audience. */
  | "invalid_token"
  /** The credential is valid but lacks a scope the operation needs. */
  | "insufficient_scope"
  /** Too many attempts from one key or address. */
  | "rate_limited"
  /** A dependency that decides validity (JWKS, introspection) is unreachable: fail closed. */
  | "temporarily_unavailable";

/** Options carried by an {@link AuthError}; none of them may hold a credential. */
export interface AuthErrorOptions {
  /** Scopes the operation needs (for `insufficient_scope`). */
  requiredScopes?: readonly string[];
  /** Seconds after which a retry makes sense (for `rate_limited`, `temporarily_unavailable`). */
  retryAfterSeconds?: number;
  /** Structured detail for logs. Never a token, key, secret or upstream body. */
  cause?: unknown;
}

/**
 * An authentication or authorization failure with a stable code and a message that is safe to
 * show the client. Messages never contain the credential that was presented.
 */
export class AuthError extends Error {
  override readonly name = "AuthError";
  readonly code: AuthErrorCode;
  readonly requiredScopes: readonly string[];
  readonly retryAfterSeconds: number | undefined;

  constructor(code: AuthErrorCode, message: string, options: AuthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.requiredScopes = options.requiredScopes ?? [];
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

import { AuthError, type AuthErrorCode } from "./errors.ts";

/** What a challenge may add besides the error itself. */
export interface ChallengeOptions {
  /** RFC 9728 metadata URL; only set where the server publishes protected-resource metadata. */
  resourceMetadataUrl?: string | undefined;
  /** Scopes to advertise on a 401 (MCP 2025-11-25 §4.2 / 2026 auth §6); never `offline_access`. */
  scope?: readonly string[] | undefined;
  /** RFC 6750 §3 realm. */
  realm?: string | undefined;
}

const STATUS: Record<AuthErrorCode, number> = {
  missing_credentials: 401,
  invalid_request: 400,
  invalid_token: 401,
  insufficient_scope: 403,
  rate_limited: 429,
  temporarily_unavailable: 503,
};

/** MCP 2025-11-25 §6: `offline_access` is never advertised to clients, in a header or a body. */
function advertisable(scopes: readonly string[]): string[] {
  return scopes.filter((scope) => scope !== "offline_access");
}

/** RFC 7230 quoted-string: escape `\` and `"`, replace anything outside printable ASCII. */
function quoted(value: string): string {
  return `"${value.replaceAll(/[\\"]/g, "\\$&").replaceAll(/[^\x20-\x7E]/g, " ")}"`;
}

/**
 * Builds the RFC 6750 §3 `WWW-Authenticate: Bearer …` value for an error.
 *
 * Validates: parameter values are quoted and escaped; `offline_access` is never advertised.
 * RFC 6750 §3.1: no `error` parameter when the request carried no credential (R9).
 */
export function bearerChallenge(error: AuthError, options: ChallengeOptions = {}): string {
  const params: string[] = [];
  if (options.realm !== undefined) params.push(`realm=${quoted(options.realm)}`);
  if (error.code !== "missing_credentials") {
    const oauthCode =
      error.code === "insufficient_scope" || error.code === "invalid_request" ? error.code : "invalid_token";
    params.push(`error=${quoted(oauthCode)}`, `error_description=${quoted(error.message)}`);
  }
  const scopes = advertisable(error.code === "insufficient_scope" ? error.requiredScopes : (options.scope ?? []));
  if (scopes.length > 0) params.push(`scope=${quoted(scopes.join(" "))}`);
  if (options.resourceMetadataUrl !== undefined) {
    params.push(`resource_metadata=${quoted(options.resourceMetadataUrl)}`);
  }
  return params.length === 0 ? "Bearer" : `Bearer ${params.join(", ")}`;
}

/**
 * The one place that turns an {@link AuthError} into an HTTP answer: 400 malformed request,
 * 401 missing or invalid credential, 403 insufficient scope, 429 rate limited, 503 when a
 * validity dependency is down. Body is OAuth-style JSON; no credential is ever echoed.
 */
export function challengeResponse(error: AuthError, options: ChallengeOptions = {}): Response {
  const status = STATUS[error.code];
  const headers = new Headers({ "Content-Type": "application/json", "Cache-Control": "no-store" });
  if (status === 400 || status === 401 || status === 403) {
    headers.set("WWW-Authenticate", bearerChallenge(error, options));
  }
  if (error.retryAfterSeconds !== undefined && Number.isFinite(error.retryAfterSeconds)) {
    headers.set("Retry-After", String(Math.max(1, Math.ceil(error.retryAfterSeconds))));
  }
  const body = {
    error: error.code === "missing_credentials" ? "unauthorized" : error.code,
    error_description: error.message,
    ...(advertisable(error.requiredScopes).length > 0 ? { scope: advertisable(error.requiredScopes).join(" ") } : {}),
  };
  return Response.json(body, { status, headers });
}

/** Returns `value` as an {@link AuthError}, or rethrows anything that is not one (a bug). */
export function asAuthError(value: unknown): AuthError {
  if (value instanceof AuthError) return value;
  throw value;
}

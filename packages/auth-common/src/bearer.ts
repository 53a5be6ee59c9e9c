import { AuthError } from "./errors.ts";

/** Longest bearer token accepted before any parsing or crypto (a JWT with many claims fits). */
export const MAX_BEARER_LENGTH = 8192;

/**
 * RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=", and
 * `:`, which the grammar lacks but `@cloudflare/workers-oauth-provider` puts in every token it
 * issues (`userId:grantId:secret`): without it, this server could not take full-oauth-provider's
 * tokens by introspection. `:` is inert in a header value (no list, quoting or parameter syntax).
 */
const B64TOKEN = /^[A-Za-z0-9\-._~+/:]+=*$/;

/**
 * Reads the bearer token from the `Authorization` header — the only place MCP allows it
 * (MCP 2025-03-26 "Token Requirements"; RFC 6750 §2.1).
 *
 * Validates: exactly one `Authorization` value (the runtime joins repeated headers with ", ");
 * the `Bearer` scheme (case-insensitive) and one or more spaces (RFC 6750 §2.1: `1*SP`; a tab is
 * not SP); a non-empty RFC 6750 b64token (and `:`, see {@link B64TOKEN}) no longer than {@link MAX_BEARER_LENGTH}, measured before
 * any regular expression runs over it.
 * Does not validate: the token itself (that is the verifier's job). Ignores `?access_token=` and
 * form-body tokens entirely (RFC 6750 §2.2/§2.3 methods are not offered).
 *
 * Throws `missing_credentials` when there is no header, `invalid_request` for anything malformed.
 */
export function readBearerToken(request: Request): string {
  const header = request.headers.get("authorization");
  if (header === null || header.trim() === "") {
    throw new AuthError(
      "missing_credentials",
      "This MCP server needs a bearer credential in the Authorization header.",
    );
  }
  if (header.includes(",")) {
    throw new AuthError("invalid_request", "Send exactly one Authorization header.");
  }
  const space = header.indexOf(" ");
  const scheme = space === -1 ? header : header.slice(0, space);
  if (scheme.toLowerCase() !== "bearer") {
    throw new AuthError("invalid_request", "The Authorization scheme must be Bearer.");
  }
  // `1*SP`: skip every space with a plain loop (no regex before the length check below).
  let start = space + 1;
  while (space !== -1 && header.charCodeAt(start) === 0x20) start++;
  const token = header.slice(start);
  if (space === -1 || token.length === 0) {
    throw new AuthError("invalid_request", "The Bearer credential is empty.");
  }
  if (token.length > MAX_BEARER_LENGTH) {
    throw new AuthError("invalid_token", `The bearer credential is longer than ${MAX_BEARER_LENGTH} characters.`);
  }
  if (!B64TOKEN.test(token)) {
    throw new AuthError("invalid_request", "The bearer credential contains characters RFC 6750 does not allow.");
  }
  return token;
}

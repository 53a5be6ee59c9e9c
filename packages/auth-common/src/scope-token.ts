import { isScopeToken } from "@mcp-auth/identity";
import { AuthError } from "./errors.ts";

export { isScopeToken };

/**
 * Parses a space-delimited scope string (RFC 6749 §3.3) into distinct tokens, in order.
 *
 * Validates: every token matches the scope-token grammar; at most 64 tokens.
 * Does not validate: that the scopes mean anything to this server (the caller decides).
 * Throws `AuthError("invalid_request")` on a malformed value.
 */
export function parseScopeString(value: string): string[] {
  const tokens = value.split(" ").filter((token) => token.length > 0);
  if (tokens.length > 64) {
    throw new AuthError("invalid_request", "Too many scopes (at most 64).");
  }
  for (const token of tokens) {
    if (!isScopeToken(token)) {
      throw new AuthError("invalid_request", "A scope contains characters outside RFC 6749 §3.3.");
    }
  }
  return [...new Set(tokens)];
}

import type { AuthInfo } from "@modelcontextprotocol/server";
import { z } from "zod";
import { isScopeToken } from "./scope-token.ts";

/** The four auth patterns of this repo, one per app. */
export const PATTERNS = ["no-auth", "token-validation", "oauth-proxy", "full-oauth-provider"] as const;
export type Pattern = (typeof PATTERNS)[number];

/** How the caller proved who it is. */
export const METHODS = ["anonymous", "api_key", "jwt", "access", "introspection", "mtls", "oauth"] as const;
export type Method = (typeof METHODS)[number];

/**
 * The caller's identity: the one value that crosses from auth to tools. It never holds the
 * credential itself, so nothing downstream can leak it.
 */
export const identitySchema = z.strictObject({
  subject: z.string().min(1).max(256),
  displayName: z.string().max(256).optional(),
  clientId: z.string().min(1).max(256),
  scopes: z.array(z.string().refine(isScopeToken, "not an RFC 6749 scope token")).max(64),
  pattern: z.enum(PATTERNS),
  method: z.enum(METHODS),
  /** Seconds since the epoch; absent for credentials that do not expire. */
  expiresAt: z.number().int().positive().optional(),
});
export type Identity = z.infer<typeof identitySchema>;

/** The subject every anonymous caller shares (one notebook for all of them). */
export const ANONYMOUS_SUBJECT = "anonymous";

/** The identity of a caller who proved nothing, granted `scopes` by server configuration. */
export function anonymousIdentity(pattern: Pattern, scopes: readonly string[]): Identity {
  return identitySchema.parse({
    subject: ANONYMOUS_SUBJECT,
    displayName: "Anonymous",
    clientId: "anonymous",
    scopes: [...scopes],
    pattern,
    method: "anonymous",
  });
}

/** Where a request's identity travels inside the SDK's `AuthInfo.extra`. */
export const IDENTITY_EXTRA_KEY = "identity";

/**
 * Packs an identity into the SDK's `AuthInfo` for `handler.fetch(request, { authInfo })`.
 * `token` is deliberately empty: the credential stops at the auth layer and is never visible
 * to tools (the SDK type requires the field).
 */
export function toAuthInfo(identity: Identity, options: { resourceMetadataUrl?: string } = {}): AuthInfo {
  const parsed = identitySchema.parse(identity);
  return {
    token: "",
    clientId: parsed.clientId,
    scopes: [...parsed.scopes],
    ...(parsed.expiresAt === undefined ? {} : { expiresAt: parsed.expiresAt }),
    ...(options.resourceMetadataUrl === undefined ? {} : { resourceMetadataUrl: options.resourceMetadataUrl }),
    extra: { [IDENTITY_EXTRA_KEY]: parsed },
  };
}

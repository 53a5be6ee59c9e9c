import { ANONYMOUS_SUBJECT, credentialSchema, identitySchema, type Identity, type Pattern } from "@mcp-auth/identity";
import { z } from "zod";
import { AuthError } from "./errors.ts";

/**
 * An upstream identity provider's tokens (oauth-proxy). They live only inside the grant's
 * props, which `OAuthProvider` encrypts at rest with a key wrapped by our own token; they never
 * reach the identity, a tool, a log line or the MCP client.
 */
export const upstreamTokensSchema = z.strictObject({
  accessToken: z.string().min(1).max(8192),
  refreshToken: z.string().min(1).max(8192).optional(),
  /** Seconds since the epoch. */
  expiresAt: z.number().int().positive().optional(),
});
export type UpstreamTokens = z.infer<typeof upstreamTokensSchema>;

/**
 * What the OAuth apps store as a grant's `props` (`completeAuthorization({ props })`): who the
 * user is and who vouched for them. The same schema reads them back, so a grant written by one
 * version and read by another fails loudly instead of half-working.
 */
export const grantPropsSchema = z
  .strictObject({
    subject: credentialSchema.shape.subject,
    displayName: credentialSchema.shape.displayName,
    /** The upstream IdP's issuer (oauth-proxy), or `self` (full-oauth-provider's own users). */
    issuer: credentialSchema.shape.issuer,
    upstream: upstreamTokensSchema.optional(),
  })
  .refine((props) => props.subject !== ANONYMOUS_SUBJECT, {
    path: ["subject"],
    message: `"${ANONYMOUS_SUBJECT}" is reserved for callers who prove nothing`,
  });
export type GrantProps = z.infer<typeof grantPropsSchema>;

/**
 * The fields of `OAuthProvider`'s `ctx.auth` (`OAuthResourceAuth`, 1.2.3) that make an identity;
 * declared here, not imported, so that this module loads in Node (the library imports
 * `cloudflare:workers`; only the `./authorization-server` subpath imports the library). `token` is
 * deliberately absent: the credential never crosses into the identity.
 */
export interface OAuthGrantAuth {
  scope: readonly string[];
  clientId?: string | undefined;
  expiresAt?: number | undefined;
}

/**
 * The caller's identity from what `OAuthProvider` verified (`ctx.auth`) and the grant's
 * decrypted `props`.
 *
 * Validates: the props against {@link grantPropsSchema}; the client id is present; the scopes,
 * subject and expiry against the identity schema. Anything else is `invalid_token` (401): a
 * grant our own code cannot read is not a caller we can name.
 * Does not validate: the token itself (the provider did, before calling the handler), or the
 * upstream tokens (they are dropped here and never reach a tool).
 */
export function identityFromGrant(auth: OAuthGrantAuth, props: unknown, pattern: Pattern): Identity {
  const grant = grantPropsSchema.safeParse(props);
  if (!grant.success) throw new AuthError("invalid_token", "The token's grant does not describe a user.");
  const identity = identitySchema.safeParse({
    subject: grant.data.subject,
    ...(grant.data.displayName === undefined ? {} : { displayName: grant.data.displayName }),
    clientId: auth.clientId,
    issuer: grant.data.issuer,
    scopes: [...auth.scope],
    pattern,
    method: "oauth",
    ...(auth.expiresAt === undefined ? {} : { expiresAt: Math.floor(auth.expiresAt) }),
  });
  if (!identity.success) throw new AuthError("invalid_token", "The token does not describe a caller.");
  return identity.data;
}

/**
 * The grant an access token of this provider belongs to. The library documents its tokens'
 * shape as `userId:grantId:secret` (docs/advanced-configuration.md, "resolveExternalToken");
 * undefined for anything else, so a caller that needs the grant fails closed.
 */
export function grantIdOf(token: string): string | undefined {
  const parts = token.split(":");
  return parts.length === 3 && /^[A-Za-z0-9_-]{1,128}$/.test(parts[1] ?? "") ? parts[1] : undefined;
}

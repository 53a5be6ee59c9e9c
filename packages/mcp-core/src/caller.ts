import { identityFromAuthInfo, tenantKey } from "@mcp-auth/identity";
import type { AuthInfo } from "@modelcontextprotocol/server";
import { effectiveScopes } from "./scopes.ts";

/**
 * What the tools know about the caller, read from the SDK's `AuthInfo` (the seam with
 * auth-common, which puts the identity in `extra.identity`). No credential ever reaches here.
 */
export interface Caller {
  subject: string;
  displayName: string | undefined;
  clientId: string;
  /** Who asserted `subject` (an issuer URL, an Access team, or `self`). */
  issuer: string;
  /** Effective scopes (granted plus implied). */
  scopes: string[];
  pattern: string;
  method: string;
  expiresAt: number | undefined;
  /** Where this caller's data lives: method + issuer + subject, so equal subjects never collide. */
  tenant: string;
}

/**
 * Reads the caller from `authInfo` with the one identity schema auth-common packed it with.
 * Throws when the identity is missing or malformed: a request that reached the tools without
 * one is a wiring bug, never something a client can cause.
 */
export function callerFromAuthInfo(authInfo: AuthInfo | undefined): Caller {
  const identity = identityFromAuthInfo(authInfo);
  return {
    subject: identity.subject,
    displayName: identity.displayName,
    clientId: identity.clientId,
    issuer: identity.issuer,
    scopes: effectiveScopes(identity.scopes),
    pattern: identity.pattern,
    method: identity.method,
    expiresAt: identity.expiresAt,
    tenant: tenantKey(identity),
  };
}

import type { AuthInfo } from "@modelcontextprotocol/server";
import { z } from "zod";
import { effectiveScopes } from "./scopes.ts";

/**
 * What the tools know about the caller, read from the SDK's `AuthInfo` (the seam with
 * auth-common, which puts the identity in `extra.identity`). No credential ever reaches here.
 */
export interface Caller {
  subject: string;
  displayName: string | undefined;
  clientId: string;
  /** Effective scopes (granted plus implied). */
  scopes: string[];
  pattern: string;
  method: string;
  expiresAt: number | undefined;
}

const identityExtra = z.object({
  identity: z.object({
    subject: z.string().min(1),
    displayName: z.string().optional(),
    pattern: z.string().min(1),
    method: z.string().min(1),
  }),
});

/**
 * Reads the caller from `authInfo`. Throws when the identity is missing or malformed: a request
 * that reached the tools without one is a wiring bug, never something a client can cause.
 */
export function callerFromAuthInfo(authInfo: AuthInfo | undefined): Caller {
  if (authInfo === undefined) throw new Error("mcp-core: request reached the MCP server without an identity");
  const { identity } = identityExtra.parse(authInfo.extra);
  return {
    subject: identity.subject,
    displayName: identity.displayName,
    clientId: authInfo.clientId,
    scopes: effectiveScopes(authInfo.scopes),
    pattern: identity.pattern,
    method: identity.method,
    expiresAt: authInfo.expiresAt,
  };
}

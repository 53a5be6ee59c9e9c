import { challengeResponse, type ChallengeOptions } from "./challenge.ts";
import { AuthError } from "./errors.ts";
import { protectedResourceMetadataResponse, resourceMetadataUrl } from "./metadata.ts";

/** How an authenticated app presents itself as an OAuth protected resource (RFC 9728). */
export interface ResourceServerOptions {
  /**
   * The public origin, e.g. `https://mcp.example.com`. When unset, the request's own origin is
   * used; the transport guard has already refused any `Host` outside the allow-list.
   */
  publicOrigin?: string | undefined;
  /** The MCP endpoint's path (default `/mcp`). */
  mcpPath?: string;
  /**
   * Issuers of the authorization servers clients can get tokens from. Empty means there is no
   * OAuth flow to point at (API keys, Access, mTLS): then no metadata is published, challenges
   * carry no `resource_metadata`, and a missing scope is a tool error rather than a 403 that
   * would send clients into a doomed OAuth flow (requirements D1–D6, footnote 1).
   */
  authorizationServers: readonly string[];
  /** The scopes this resource knows; PRM `scopes_supported` (never `offline_access`). */
  scopesSupported: readonly string[];
  /** The scopes a client should start with, on a 401 (default `scopesSupported`). */
  initialScopes?: readonly string[];
  resourceName?: string;
}

/** The 401/403 wire format and the metadata of one app, identical across apps. */
export interface ResourceServer {
  /** True when an authorization server is advertised (metadata, `resource_metadata`, step-up). */
  readonly advertised: boolean;
  /** The canonical resource identifier, `<origin><mcpPath>`. */
  resource(request: Request): string;
  /** The RFC 9728 document at its path-inserted and root URLs; `undefined` for other paths. */
  metadataResponse(request: Request): Response | undefined;
  /** What every challenge on this request carries. */
  challenge(request: Request): ChallengeOptions;
  /**
   * The answer to an operation that needs scopes the caller lacks: 403 `insufficient_scope`
   * naming every scope the operation needs, held ∪ missing (MCP 2026 auth §11.1.1), when the
   * client can step up; `undefined` where it cannot (the endpoint then answers a tool error).
   */
  insufficientScope(request: Request, held: readonly string[], missing: readonly string[]): Response | undefined;
}

/**
 * The protected-resource policy of an authenticated app in one place: when to advertise
 * `resource_metadata`, serving the metadata (path-inserted and root), and the step-up 403.
 *
 * Validates: `publicOrigin` is an origin (no path, query or fragment); `offline_access` is
 * never advertised (the challenge builder and the metadata both drop it).
 * Does not validate: that the authorization servers exist or list this resource.
 */
export function resourceServer(options: ResourceServerOptions): ResourceServer {
  const mcpPath = options.mcpPath ?? "/mcp";
  const fixedOrigin = options.publicOrigin === undefined ? undefined : new URL(options.publicOrigin);
  if (fixedOrigin !== undefined && fixedOrigin.href !== `${fixedOrigin.origin}/`) {
    throw new Error("publicOrigin must be an origin such as https://mcp.example.com (no path, query or fragment)");
  }
  const advertised = options.authorizationServers.length > 0;
  const resource = (request: Request) => new URL(mcpPath, fixedOrigin ?? request.url).href;
  const challenge = (request: Request): ChallengeOptions =>
    advertised
      ? {
          resourceMetadataUrl: resourceMetadataUrl(resource(request)),
          scope: options.initialScopes ?? options.scopesSupported,
        }
      : {};
  return {
    advertised,
    resource,
    challenge,
    metadataResponse(request) {
      if (!advertised) return undefined;
      return protectedResourceMetadataResponse(request, {
        resource: resource(request),
        authorizationServers: options.authorizationServers,
        scopesSupported: options.scopesSupported,
        ...(options.resourceName === undefined ? {} : { resourceName: options.resourceName }),
      });
    },
    insufficientScope(request, held, missing) {
      if (!advertised) return undefined;
      const needed = [...new Set([...held, ...missing])];
      return challengeResponse(
        new AuthError("insufficient_scope", `This operation needs the scope ${missing.join(" ")}.`, {
          requiredScopes: needed,
        }),
        challenge(request),
      );
    },
  };
}

/** What a protected resource publishes about itself (RFC 9728). */
export interface ProtectedResource {
  /** The canonical MCP URL, e.g. `https://mcp.example.com/mcp` (no fragment, no trailing slash). */
  resource: string;
  /** Issuers of the authorization servers whose tokens are accepted; `[0]` must equal its `issuer`. */
  authorizationServers: readonly string[];
  /** The minimal scopes for basic use (never `offline_access`). */
  scopesSupported: readonly string[];
  resourceName?: string;
}

const WELL_KNOWN = "/.well-known/oauth-protected-resource";

/** RFC 9728 §3.1: the path-inserted metadata URL for a resource URL. */
export function resourceMetadataUrl(resource: string): string {
  const url = new URL(resource);
  const path = url.pathname.replace(/\/$/, "");
  return new URL(`${WELL_KNOWN}${path === "" ? "" : path}`, url.origin).href;
}

/** The RFC 9728 metadata document. */
export function protectedResourceMetadata(resource: ProtectedResource): Record<string, unknown> {
  return {
    resource: resource.resource,
    authorization_servers: [...resource.authorizationServers],
    scopes_supported: resource.scopesSupported.filter((scope) => scope !== "offline_access"),
    bearer_methods_supported: ["header"],
    ...(resource.resourceName === undefined ? {} : { resource_name: resource.resourceName }),
  };
}

/**
 * Serves the metadata at the path-inserted URL (`/.well-known/oauth-protected-resource/mcp`) and
 * at the root (`/.well-known/oauth-protected-resource`), which MCP 2025-11-25 clients try next
 * (requirement D4). Returns `undefined` for any other path.
 */
export function protectedResourceMetadataResponse(request: Request, resource: ProtectedResource): Response | undefined {
  const { pathname } = new URL(request.url);
  const pathInserted = new URL(resourceMetadataUrl(resource.resource)).pathname;
  if (pathname !== pathInserted && pathname !== WELL_KNOWN) return undefined;
  const headers = { "Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=300" };
  if (request.method !== "GET" && request.method !== "HEAD") {
    return Response.json(
      { error: "method_not_allowed", error_description: "Use GET." },
      { status: 405, headers: { ...headers, Allow: "GET, HEAD" } },
    );
  }
  return Response.json(protectedResourceMetadata(resource), { headers });
}

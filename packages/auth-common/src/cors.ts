import { validateOriginHeader } from "@modelcontextprotocol/server";
import type { OriginPolicy } from "./origin.ts";

/** Request headers an MCP client (2025-era and 2026-07-28) sends cross-origin. */
const ALLOW_HEADERS = [
  "Authorization",
  "Content-Type",
  "Accept",
  "Mcp-Session-Id",
  "Mcp-Protocol-Version",
  "Mcp-Method",
  "Mcp-Name",
  "Last-Event-ID",
].join(", ");

/**
 * Response headers a browser client must be able to read: the challenge (to start OAuth or
 * step up), the session, when to retry, and when its way of calling ends (`withSunset`).
 */
const EXPOSE_HEADERS = [
  "WWW-Authenticate",
  "Mcp-Session-Id",
  "Mcp-Protocol-Version",
  "Retry-After",
  "Deprecation",
  "Sunset",
  "Link",
].join(", ");

/** How one route answers browsers. */
export interface CorsOptions {
  /**
   * Which browser origins may read answers: the transport's origin policy (the MCP endpoint),
   * or `"any"` for OAuth endpoints that browser-based clients call from their own origin
   * (`/token`, `/register`, metadata). Credentials (cookies) are never allowed either way.
   */
  origins: OriginPolicy | "any";
  /** Methods the route accepts (preflight `Access-Control-Allow-Methods`). */
  methods?: readonly string[];
}

/** The CORS behaviour of one route: answer preflights, and make every answer readable. */
export interface Cors {
  /**
   * The answer to a CORS preflight (`OPTIONS` with `Access-Control-Request-Method`) from an
   * allowed origin: 204, before any authentication — a preflight never carries credentials.
   * `undefined` for anything else (including a preflight from a refused origin, which the
   * transport guard answers 403).
   */
  preflight(request: Request): Response | undefined;
  /**
   * `response` with `Access-Control-Allow-Origin` for an allowed origin and the headers a
   * browser client must read exposed — on errors (401/403/413/429) as much as on success.
   */
  apply(request: Request, response: Response): Response;
}

/**
 * CORS for a route. Validates: the `Origin` against the policy with the same validator the
 * transport guard uses (malformed and opaque origins are never echoed).
 * Does not validate: Host (the guard does), or anything about credentials (none are allowed).
 */
export function cors(options: CorsOptions): Cors {
  const allowedOrigin = (request: Request): string | undefined => {
    const origin = request.headers.get("origin");
    if (origin === null) return undefined;
    if (options.origins !== "any") {
      return validateOriginHeader(origin, [...options.origins.allowedOriginHostnames]).ok
        ? new URL(origin).origin
        : undefined;
    }
    // Any web origin, but only a real one: never `null` (sandboxed frames, file:) or a non-web scheme.
    try {
      const url = new URL(origin);
      return (url.protocol === "https:" || url.protocol === "http:") && url.origin === origin ? origin : undefined;
    } catch {
      return undefined;
    }
  };
  const methods = (options.methods ?? ["GET", "POST", "DELETE", "OPTIONS"]).join(", ");
  return {
    preflight(request) {
      if (request.method !== "OPTIONS" || !request.headers.has("access-control-request-method")) return undefined;
      const origin = allowedOrigin(request);
      if (origin === undefined) return undefined;
      return new Response(null, {
        status: 204,
        headers: {
          "Access-Control-Allow-Origin": origin,
          "Access-Control-Allow-Methods": methods,
          "Access-Control-Allow-Headers": ALLOW_HEADERS,
          "Access-Control-Max-Age": "86400",
          Vary: "Origin",
        },
      });
    },
    apply(request, response) {
      const origin = allowedOrigin(request);
      const headers = new Headers(response.headers);
      headers.delete("Access-Control-Allow-Origin");
      headers.delete("Access-Control-Expose-Headers");
      headers.append("Vary", "Origin");
      if (origin !== undefined) {
        headers.set("Access-Control-Allow-Origin", origin);
        headers.set("Access-Control-Expose-Headers", EXPOSE_HEADERS);
      }
      return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
    },
  };
}

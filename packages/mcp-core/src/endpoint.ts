import type { AuthInfo } from "@modelcontextprotocol/server";
import { createMcpHandler } from "agents/mcp/server";
import { DEFAULT_BODY_LIMITS, readMcpBody, type BodyLimits } from "./body.ts";
import { callerFromAuthInfo } from "./caller.ts";
import { checkMessages } from "./message-check.ts";
import type { NotesDirectory } from "./notes/notes-store.ts";
import { findScopeShortfall } from "./scope-gate.ts";
import type { Scope } from "./scopes.ts";
import type { ToolNotice } from "./register-tools.ts";
import { buildServer, type ServerInfo } from "./server.ts";
import type { ToolDeps } from "./tools/tool.ts";

/** Options fixed for the lifetime of an endpoint (one per Worker). */
export interface McpEndpointOptions extends ServerInfo {
  /** `Host` names served, as given to the guard (the handler re-checks them). */
  allowedHostnames: readonly string[];
  /** Browser `Origin` names allowed, as given to the guard. */
  allowedOriginHostnames: readonly string[];
  /** Limits on the POST body (default {@link DEFAULT_BODY_LIMITS}). */
  body?: BodyLimits | undefined;
  /**
   * A line added after the content of every successful tool result, per caller (token-validation
   * tells anonymous callers when credentials become required); none when unset or `undefined`.
   */
  notice?: ToolNotice | undefined;
}

/** What one request brings: who the caller is and where notes live. */
export interface McpCall {
  /** The caller's identity, packed by auth-common's `toAuthInfo`. */
  authInfo: AuthInfo;
  notes: NotesDirectory;
  /**
   * The answer for a call to a tool whose scope the caller lacks, given the scopes the caller
   * holds (as granted) and the ones missing: a 403 `insufficient_scope` where the client can
   * step up. Without it, or when it answers `undefined`, the call gets a clear tool error.
   */
  onInsufficientScope?: ((held: readonly string[], missing: Scope[]) => Response | undefined) | undefined;
}

interface RequestScope {
  deps: ToolDeps;
  deniedCalls: ReadonlySet<string>;
}

/**
 * The MCP endpoint of an app: `POST /mcp` (Streamable HTTP, 2025-era and 2026-07-28 clients).
 * Call it only after authentication: it reads the body itself, so an unauthenticated body is
 * never read.
 */
export interface McpEndpoint {
  fetch(request: Request, call: McpCall): Promise<Response>;
}

/**
 * Creates the one MCP endpoint of an app on `createMcpHandler` from `agents/mcp/server`, which
 * builds a fresh server per request from our factory. Per-request dependencies reach the
 * factory through a `WeakMap` keyed by the request object the handler passes back as
 * `requestInfo`, so nothing request-specific lives in module state.
 */
export function createMcpEndpoint(options: McpEndpointOptions): McpEndpoint {
  const scopes = new WeakMap<Request, RequestScope>();
  const handler = createMcpHandler(
    ({ requestInfo }) => {
      const scope = requestInfo === undefined ? undefined : scopes.get(requestInfo);
      if (scope === undefined) throw new Error("mcp-core: no request scope for this request");
      return buildServer(options, scope.deps, { deniedCalls: scope.deniedCalls, notice: options.notice });
    },
    {
      route: "/mcp",
      allowedHostnames: [...options.allowedHostnames],
      allowedOriginHostnames: [...options.allowedOriginHostnames],
    },
  );
  return {
    async fetch(request, call) {
      const caller = callerFromAuthInfo(call.authInfo);
      let parsedBody: unknown;
      if (request.method === "POST") {
        const read = await readMcpBody(request, options.body ?? DEFAULT_BODY_LIMITS);
        if (read instanceof Response) return read;
        parsedBody = read.body;
        const refused = checkMessages(request, parsedBody);
        if (refused) return refused;
      }
      const shortfall = findScopeShortfall(parsedBody, caller.scopes);
      const stepUp = shortfall && call.onInsufficientScope?.(call.authInfo.scopes, shortfall.scopes);
      if (stepUp) return stepUp;
      scopes.set(request, {
        deps: { caller, notes: call.notes(caller.tenant) },
        deniedCalls: shortfall?.tools ?? new Set(),
      });
      return handler.fetch(request, {
        authInfo: call.authInfo,
        ...(parsedBody === undefined ? {} : { parsedBody }),
      });
    },
  };
}

import { localhostAllowedHostnames, validateHostHeader, validateOriginHeader } from "@modelcontextprotocol/server";
import { jsonRpcErrorResponse } from "./json-rpc-error.ts";

/** Which `Host` and `Origin` hostnames a server answers (no scheme, no port). */
export interface OriginPolicy {
  allowedHostnames: readonly string[];
  allowedOriginHostnames: readonly string[];
}

/**
 * The policy for a server: loopback names (for `wrangler dev`) plus the configured public
 * hostnames. Browser origins are allowed only from the same list plus `extraOrigins`.
 */
export function originPolicy(hostnames: readonly string[], extraOrigins: readonly string[] = []): OriginPolicy {
  const hosts = [...new Set([...localhostAllowedHostnames(), ...hostnames.map((name) => name.toLowerCase())])];
  return {
    allowedHostnames: hosts,
    allowedOriginHostnames: [...new Set([...hosts, ...extraOrigins.map((name) => name.toLowerCase())])],
  };
}

/**
 * Refuses a `Host` outside the policy with 403 (DNS rebinding), for routes that browsers may
 * call from any origin. Returns `undefined` when the request may proceed.
 */
export function checkHost(request: Request, policy: OriginPolicy): Response | undefined {
  const host = validateHostHeader(request.headers.get("host"), [...policy.allowedHostnames]);
  return host.ok ? undefined : jsonRpcErrorResponse(403, `Forbidden: ${host.message}`);
}

/**
 * DNS-rebinding and cross-site protection (MCP transports §2.0.1, requirement T2).
 *
 * Validates: `Host` names a hostname in the policy; a present `Origin` parses as an origin and
 * names an allowed hostname (a request without `Origin` is a non-browser client and passes).
 * Does not validate: ports or schemes (the SDK's validators are port-agnostic by design).
 * Returns a 403 JSON-RPC error, or `undefined` when the request may proceed.
 */
export function checkOrigin(request: Request, policy: OriginPolicy): Response | undefined {
  const host = checkHost(request, policy);
  if (host) return host;
  const origin = validateOriginHeader(request.headers.get("origin"), [...policy.allowedOriginHostnames]);
  if (!origin.ok) return jsonRpcErrorResponse(403, `Forbidden: ${origin.message}`);
  return undefined;
}

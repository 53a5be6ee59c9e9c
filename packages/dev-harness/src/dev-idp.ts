// dev-idp, the local OIDC provider, as the harness offers it: one import for everything a test or
// driver starts. dev-idp stays its own package (it is also `pnpm dev`'s IdP on port 8791).
export {
  DEFAULT_CLIENTS,
  DEFAULT_RESOURCES,
  DEV_PROXY_CLIENT,
  DEV_RESOURCE_SERVER_CLIENT,
  DEV_TEST_CLIENT,
  ID_JAG_TOKEN_TYPE,
  ID_TOKEN_TYPE,
  OAuthError,
  TOKEN_EXCHANGE_GRANT,
  basicAuth,
  devAccountClaims,
  startDevIdp,
  type ClientCredentials,
  type DevAccountClaims,
  type DevClient,
  type DevIdp,
  type DevIdpOptions,
  type IdJagResponse,
  type DevResource,
} from "@mcp-auth/dev-idp";
import { DEV_PROXY_CLIENT, type DevIdp } from "@mcp-auth/dev-idp";

/**
 * oauth-proxy's settings with `idp` as its upstream, served at `origin` (its PUBLIC_ORIGIN): what
 * its e2e suite, the benchmark, `compare` and `rehearse` start it with. dev-idp's published
 * dev-only client secret, never a deployed one.
 */
export function proxyUpstreamVars(origin: string, idp: Pick<DevIdp, "issuer">): Record<string, string> {
  return {
    PUBLIC_ORIGIN: origin,
    UPSTREAM: "oidc",
    UPSTREAM_ISSUER: idp.issuer,
    UPSTREAM_CLIENT_ID: DEV_PROXY_CLIENT.clientId,
    UPSTREAM_CLIENT_SECRET: DEV_PROXY_CLIENT.clientSecret,
    ALLOW_INSECURE_HTTP_LOOPBACK: "true",
  };
}

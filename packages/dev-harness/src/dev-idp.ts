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

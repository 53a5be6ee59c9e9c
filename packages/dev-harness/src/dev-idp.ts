// dev-idp, the local OIDC provider, as the harness offers it: one import for everything a test or
// driver starts. dev-idp stays its own package (it is also `pnpm dev`'s IdP on port 8791).
export {
  DEFAULT_CLIENTS,
  DEFAULT_RESOURCES,
  DEV_RESOURCE_SERVER_CLIENT,
  DEV_TEST_CLIENT,
  basicAuth,
  startDevIdp,
  type DevClient,
  type DevIdp,
  type DevIdpOptions,
  type DevResource,
} from "@mcp-auth/dev-idp";

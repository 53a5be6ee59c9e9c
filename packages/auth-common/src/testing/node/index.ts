// Node-only suites run against an OAuth app under `wrangler dev` (the authorization server's
// /token, refresh, registration and discovery). The processes, browser and HTTP helpers they use
// live in @mcp-auth/dev-harness. Importing registers nothing until a describe… function is called.
export { TOKEN_ENDPOINT_LOGINS, describeTokenEndpoint, type AuthorizationServerTarget } from "./token-endpoint.ts";
export { DISCOVERY_LOGINS, describeDiscovery } from "./discovery.ts";
export { GRANT_ENDED_DESCRIPTION } from "../refresh-messages.ts";

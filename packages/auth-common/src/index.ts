// The root: what every app uses, whatever proves its callers. Protocol code one pattern uses has
// its own subpath, so that an import line says which part it is:
//   ./verifiers             credential verifiers and the authenticator (token-validation)
//   ./upstream              upstream sign-in clients (oauth-proxy)
//   ./accounts              passwords, browser sessions, own-page forms (full-oauth-provider)
//   ./authorization-server  the OAuth authorization server, grants, consent (both OAuth apps)
//   ./grants                their grants in the library's KV layout, listed and revoked (admin CLIs, Node)
//   ./testing, ./testing/node  the shared test suites (workerd, Node)
export { MIN_ADMIN_SECRET_LENGTH, adminRouteFor, adminSecretVar, serveAdmin, type AdminApi } from "./admin.ts";
export { readBearerToken, MAX_BEARER_LENGTH } from "./bearer.ts";
export { asAuthError, bearerChallenge, challengeResponse, type ChallengeOptions } from "./challenge.ts";
export { AuthError, type AuthErrorCode, type AuthErrorOptions } from "./errors.ts";
// The identity schema lives in @mcp-auth/identity (the one source both packages read); the
// names an app needs beside auth-common's own are re-exported, so it imports auth from one place.
export {
  ANONYMOUS_SUBJECT,
  anonymousIdentity,
  parseTenantKey,
  tenantKey,
  type Identity,
  type Pattern,
} from "@mcp-auth/identity";
export { jsonRpcErrorResponse } from "./json-rpc-error.ts";
export type { SqlDatabase, SqlStatement } from "./d1.ts";
export { checkHost, checkOrigin, originPolicy, type OriginPolicy } from "./origin.ts";
export { checkRateLimit, clientAddress, type RateLimiter } from "./rate-limit.ts";
export { isScopeToken, parseScopeString } from "./scope-token.ts";
export { clientConfigs, type ClientConfig } from "./pages/client-configs.ts";
export { escapeHtml, html, layout, pageHeaders, raw, SafeHtml, type PageHeaderOptions } from "./pages/html.ts";
export { landingPage, type LandingPageContent, type LandingPageTool } from "./pages/landing-page.ts";
export { messagePage } from "./pages/message-page.ts";
export { HEADER_LIMITS, checkHeaderSize, guardTransport, type TransportGuardOptions } from "./guard.ts";
export {
  ConfigError,
  configErrorResponse,
  configLoader,
  envRules,
  flagVar,
  hostnamesVar,
  intVar,
  INVALID,
  listVar,
  optionalVar,
  parseEnv,
  parseEnvRequiring,
  publicOriginRule,
  scopesVar,
  withConfig,
  type EnvView,
  type WithRequired,
} from "./env.ts";
export {
  protectedResourceMetadata,
  protectedResourceMetadataResponse,
  resourceMetadataUrl,
  type ProtectedResource,
} from "./metadata.ts";
export {
  BodyTooLargeError,
  readBoundedBytes,
  readBoundedText,
  withBoundedBody,
  type BodySource,
} from "./bounded-body.ts";
export { resourceServer, type ResourceServer, type ResourceServerOptions } from "./resource-server.ts";
export { sha256Hex, timingSafeEqual } from "./verifier.ts";
export { notFoundResponse, redirect, siteRoute, sseRetiredResponse, type Route, type Routes } from "./routes.ts";
export {
  answerMcp,
  configuredWorker,
  resourceServerWorker,
  type McpCallAuth,
  type McpHandler,
  type ResourceServerApp,
  type ResourceServerEnv,
} from "./mcp-worker.ts";
export { LOOPBACK_HOSTNAMES, TRUSTED_URL_RULE, isLoopbackHostname, isTrustedServerUrl } from "./loopback.ts";
export { cors, type Cors, type CorsOptions } from "./cors.ts";
export { withSunset, type Sunset } from "./sunset.ts";
export { consoleLog, logEndpointAnswer, refusal, type Log, type LogEntry } from "./log.ts";

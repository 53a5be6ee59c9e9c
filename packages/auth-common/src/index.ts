export { readBearerToken, MAX_BEARER_LENGTH } from "./bearer.ts";
export { asAuthError, bearerChallenge, challengeResponse, type ChallengeOptions } from "./challenge.ts";
export { AuthError, type AuthErrorCode, type AuthErrorOptions } from "./errors.ts";
// The identity schema lives in @mcp-auth/identity (the one source both packages read); the
// names apps need are re-exported so an app imports auth from one place.
export {
  ANONYMOUS_SUBJECT,
  SELF_ISSUER,
  anonymousIdentity,
  tenantKey,
  toAuthInfo,
  type Identity,
  type Method,
  type Pattern,
  type VerifiedCredential,
} from "@mcp-auth/identity";
export { jsonRpcErrorResponse } from "./json-rpc-error.ts";
export type { SqlDatabase, SqlStatement } from "./d1.ts";
export { checkHost, checkOrigin, originPolicy, type OriginPolicy } from "./origin.ts";
export { checkRateLimit, clientAddress, type RateLimiter } from "./rate-limit.ts";
export { isScopeToken, parseScopeString } from "./scope-token.ts";
export { clientConfigs, type ClientConfig } from "./pages/client-configs.ts";
export { escapeHtml, html, layout, pageHeaders, raw, SafeHtml, type PageHeaderOptions } from "./pages/html.ts";
export { landingPage, type LandingPageContent, type LandingPageTool } from "./pages/landing-page.ts";
export {
  consentBody,
  consentPage,
  messagePage,
  type ConsentClient,
  type ConsentPageOptions,
  type GrantableScope,
} from "./pages/consent-page.ts";
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
  parseEnv,
  publicOriginRule,
  scopesVar,
  withConfig,
  type EnvView,
} from "./env.ts";
export {
  API_KEY_PREFIX,
  apiKeyVerifier,
  generateApiKey,
  hashApiKey,
  looksLikeApiKey,
  type ApiKeyRecord,
  type ApiKeyStore,
} from "./api-key.ts";
export { createAuthenticator, type Authenticator, type AuthenticatorOptions } from "./authenticate.ts";
export {
  ASYMMETRIC_ALGORITHMS,
  checkAlgorithms,
  DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
  MAX_JWT_LENGTH,
  MIN_HS256_SECRET_BYTES,
  identityFromClaims,
  jwtKeyResolver,
  jwtVerifier,
  looksLikeJwt,
  scopesFromClaims,
  verifyJwt,
  type JwtKeySource,
  type JwtOptions,
} from "./jwt.ts";
export {
  protectedResourceMetadata,
  protectedResourceMetadataResponse,
  resourceMetadataUrl,
  type ProtectedResource,
} from "./metadata.ts";
export {
  MIN_PEPPER_LENGTH,
  PASSWORD_HASH_PARAMETERS,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  WORKERS_PBKDF2_MAX_ITERATIONS,
  hashPassword,
  parsePasswordHash,
  passwordProblem,
  pepperFromSecret,
  verifyPassword,
  type PasswordCheck,
  type Pepper,
  type Peppers,
} from "./password.ts";
export {
  SESSION_COOKIE,
  checkCsrfToken,
  clearedSessionCookie,
  csrfToken,
  fromAnotherSite,
  newSessionId,
  readSessionCookie,
  safeReturnTo,
  sessionCookie,
  sessionIdHash,
} from "./session.ts";
export { MAX_FORM_BYTES, forgedForm, ownPageForm, readForm } from "./forms.ts";
export { BodyTooLargeError, readBoundedBytes, readBoundedText, type BodySource } from "./bounded-body.ts";
export { resourceServer, type ResourceServer, type ResourceServerOptions } from "./resource-server.ts";
export { sha256Hex, timingSafeEqual, type CredentialVerifier, type PresentedCredentials } from "./verifier.ts";
export { notFoundResponse, sseRetiredResponse } from "./routes.ts";
export { ACCESS_JWT_HEADER, accessTeamOrigin, accessVerifier, type AccessOptions } from "./access.ts";
export {
  INTROSPECTION_NEGATIVE_TTL_SECONDS,
  clientSecretBasic,
  introspectionVerifier,
  type IntrospectionOptions,
} from "./introspection.ts";
export { mtlsVerifier, normalizeFingerprint, type MtlsOptions } from "./mtls.ts";
export {
  grantIdOf,
  grantPropsSchema,
  identityFromGrant,
  upstreamTokensSchema,
  type GrantProps,
  type OAuthGrantAuth,
  type UpstreamTokens,
} from "./grant.ts";
export { LOOPBACK_HOSTNAMES, TRUSTED_URL_RULE, isLoopbackHostname, isTrustedServerUrl } from "./loopback.ts";
export { cors, type Cors, type CorsOptions } from "./cors.ts";
export { consoleLog, logEndpointAnswer, refusal, type Log, type LogEntry } from "./log.ts";
export * from "./upstream/index.ts";

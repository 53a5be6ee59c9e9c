export { readBearerToken, MAX_BEARER_LENGTH } from "./bearer.ts";
export { asAuthError, bearerChallenge, challengeResponse, type ChallengeOptions } from "./challenge.ts";
export { AuthError, type AuthErrorCode, type AuthErrorOptions } from "./errors.ts";
export {
  ANONYMOUS_SUBJECT,
  IDENTITY_EXTRA_KEY,
  METHODS,
  PATTERNS,
  anonymousIdentity,
  identitySchema,
  toAuthInfo,
  type Identity,
  type Method,
  type Pattern,
} from "./identity.ts";
export { jsonRpcErrorResponse } from "./json-rpc-error.ts";
export { checkOrigin, originPolicy, type OriginPolicy } from "./origin.ts";
export { checkRateLimit, clientAddress, type RateLimiter } from "./rate-limit.ts";
export { isScopeToken, parseScopeString } from "./scope-token.ts";
export { clientConfigs, type ClientConfig } from "./pages/client-configs.ts";
export { escapeHtml, html, layout, pageHeaders, raw, SafeHtml } from "./pages/html.ts";
export { landingPage, type LandingPageContent } from "./pages/landing-page.ts";
export { DEFAULT_BODY_LIMITS, jsonDepth, readJsonBody, type BodyLimits, type BodyRejection } from "./body.ts";
export {
  HEADER_LIMITS,
  checkBatch,
  checkHeaderSize,
  guardRequest,
  type GuardOptions,
  type GuardedRequest,
} from "./guard.ts";
export {
  ConfigError,
  configErrorResponse,
  configLoader,
  hostnamesVar,
  intVar,
  listVar,
  parseEnv,
  scopesVar,
} from "./env.ts";

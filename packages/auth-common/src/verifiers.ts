// Credential verifiers and the authenticator that tries them in order: what a server that
// validates tokens it did not issue needs (token-validation). Node-safe: no Workers-only import.
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
export { ACCESS_JWT_HEADER, accessTeamOrigin, accessVerifier, type AccessOptions } from "./access.ts";
export {
  INTROSPECTION_NEGATIVE_TTL_SECONDS,
  clientSecretBasic,
  introspectionVerifier,
  readClientSecretBasic,
  type IntrospectionOptions,
} from "./introspection.ts";
export { mtlsVerifier, normalizeFingerprint, type MtlsOptions } from "./mtls.ts";
export type { CredentialVerifier, PresentedCredentials } from "./verifier.ts";

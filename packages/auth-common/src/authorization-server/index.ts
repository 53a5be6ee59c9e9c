// The authorization server both OAuth apps run. A subpath of its own: it imports
// `@cloudflare/workers-oauth-provider` (and through it `cloudflare:workers`), which the rest of
// auth-common, also used in Node, must not.
export {
  authorizationServer,
  type AuthorizationServer,
  type AuthorizationServerEnv,
  type AuthorizationServerOptions,
  type ProviderErrorEvent,
} from "./server.ts";
export { authorizeFailure, consentForm, knownScopes, pkceRefusal, redirect } from "./authorize.ts";
export { MAX_REGISTRATION_BYTES, registrationPolicy, registrationTooLarge } from "./registration.ts";

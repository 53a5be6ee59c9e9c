// The authorization server both OAuth apps run. A subpath of its own: it imports
// `@cloudflare/workers-oauth-provider` (and through it `cloudflare:workers`), which the rest of
// auth-common, also used in Node, must not.
export {
  authorizationServer,
  authorizationServerWorker,
  type AdmittedCaller,
  type AuthorizationServer,
  type AuthorizationServerEnv,
  type AuthorizationServerOptions,
  type PageContext,
  type ProviderErrorEvent,
} from "./server.ts";
export {
  askConsent,
  authorizeFailure,
  authorizeRefusal,
  browserRoute,
  readAuthorizeRequest,
  type ConsentExtras,
  type ConsentScopes,
  consentForm,
  knownScopes,
  pkceRefusal,
  repeatedParameterRedirect,
} from "./authorize.ts";
export {
  REMEMBERED_RETIRED,
  RefreshLedger,
  refreshOnce,
  refreshRequestOf,
  type RefreshOnceOptions,
  type RefreshRequest,
  type RefreshReuse,
  type RefreshTurn,
} from "./refresh-reuse.ts";
export {
  INTROSPECTION_PATH,
  introspect,
  type IntrospectionCaller,
  type IntrospectionContext,
  type IntrospectionEndpointOptions,
} from "./introspect.ts";
export { MAX_REGISTRATION_BYTES, metadataProblem, registrationPolicy, type MetadataProblem } from "./registration.ts";
export {
  MAX_CLIENT_ID_LENGTH,
  MAX_PAGE_BODY_BYTES,
  MAX_TOKEN_REQUEST_BYTES,
  clientMetadataRefusal,
  fitsClientId,
  fitsTokenKey,
} from "./front-door.ts";
export {
  grantIdOf,
  grantPropsSchema,
  identityFromGrant,
  upstreamTokensSchema,
  type GrantProps,
  type OAuthGrantAuth,
} from "../grant.ts";
export {
  consentBody,
  consentPage,
  type ConsentClient,
  type ConsentPageOptions,
  type GrantableScope,
} from "../pages/consent-page.ts";

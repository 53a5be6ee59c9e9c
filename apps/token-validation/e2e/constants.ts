// Fixed test values shared by global-setup (which configures the instances) and the tests.

/** The resource indicator (and JWT `aud`) every instance pins. */
export const AUDIENCE = "http://localhost:8788/mcp";
/** dev-idp resource whose opaque tokens carry `aud` = {@link AUDIENCE}. */
export const OPAQUE_RESOURCE = "urn:mcp-auth:opaque";
/** A JWT resource of the same IdP that is not this server: its tokens must be refused here. */
export const OTHER_RESOURCE = "https://other.example/mcp";
/** An opaque-token resource of the same IdP whose tokens carry `aud` = {@link OTHER_RESOURCE}. */
export const OTHER_OPAQUE_RESOURCE = "urn:mcp-auth:opaque-other";
/** The Access application AUD tag of the test Access "team". */
export const ACCESS_AUD = "e2e-access-aud-tag-5d1c0b7a";
/** HS256 secret of the "keys" instance (test only). */
export const JWT_SECRET = "e2e-only-hs256-secret-0123456789abcdefghijklmnop";
/** The pinned `iss` of the HS256 tokens on the "keys" instance. */
export const HS256_ISSUER = "http://127.0.0.1:8791";

import type * as oauth from "oauth4webapi";
import { upstreamUrl } from "./config.ts";
import { UpstreamError } from "./errors.ts";
import { isTenantId, type OidcPreset } from "./oidc.ts";
import type { UpstreamConfig } from "./types.ts";

const ENTRA_ORIGIN = "https://login.microsoftonline.com";
const GOOGLE_ISSUER = "https://accounts.google.com";

/**
 * Any OpenID Connect provider by its issuer (the dev IdP, Keycloak, Auth0, Okta…).
 * `offline_access` comes with `prompt=consent`, which OIDC Core §11 requires for a refresh token.
 */
export function genericOidcPreset(config: UpstreamConfig): OidcPreset {
  if (config.issuer === undefined) throw new TypeError("Upstream config: issuer is required for the oidc preset");
  const { url, insecure } = upstreamUrl(config.issuer, "issuer", config.allowInsecureLoopback);
  return {
    kind: "oidc",
    discoveryIssuer: url,
    expectedIssuer: url,
    insecure,
    scopes: ["openid", "profile", "email", "offline_access"],
    authorizeParams: { prompt: "consent" },
    clientAuth: "from_metadata",
    admit: () => undefined,
  };
}

/**
 * Google. Refresh tokens come from `access_type=offline` (Google has no `offline_access` scope)
 * and only on a user's first consent. With `googleHostedDomain`, the `hd` request parameter is
 * a hint only; the ID token's `hd` claim decides (absent, as for gmail.com accounts, is refused).
 */
export function googlePreset(config: UpstreamConfig): OidcPreset {
  const hostedDomain = config.googleHostedDomain?.toLowerCase();
  if (
    hostedDomain !== undefined &&
    !/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(hostedDomain)
  ) {
    throw new TypeError("Upstream config: googleHostedDomain must be a domain name such as example.com");
  }
  const issuer = new URL(GOOGLE_ISSUER);
  return {
    kind: "google",
    discoveryIssuer: issuer,
    expectedIssuer: issuer,
    insecure: false,
    scopes: ["openid", "email", "profile"],
    authorizeParams: { access_type: "offline", ...(hostedDomain === undefined ? {} : { hd: hostedDomain }) },
    clientAuth: "client_secret_post",
    admit(claims: oauth.IDToken) {
      if (hostedDomain === undefined) return;
      if (typeof claims.hd !== "string") {
        throw new UpstreamError(
          "access_denied",
          "The Google account does not belong to the required Workspace domain.",
        );
      }
      if (claims.hd.toLowerCase() !== hostedDomain) {
        throw new UpstreamError("access_denied", "The Google account belongs to a different Workspace domain.");
      }
    },
  };
}

/**
 * Microsoft Entra ID (v2.0 endpoints). A tenant GUID pins the issuer exactly. `organizations`
 * and `common` publish the issuer `https://login.microsoftonline.com/{tenantid}/v2.0`: discovery
 * must name exactly that template, and each ID token must then carry the issuer of its own `tid`
 * (`…/{tid}/v2.0`, checked by oauth4webapi like any issuer) with `tid` in `entraAllowedTenants`.
 * Secrets go in the body (`client_secret_post`): Entra secrets contain characters that Basic
 * encoding would percent-encode.
 */
export function entraPreset(config: UpstreamConfig): OidcPreset {
  const tenant = config.entraTenant?.toLowerCase();
  const multiTenant = tenant === "organizations" || tenant === "common";
  if (!multiTenant && !isTenantId(tenant)) {
    throw new TypeError('Upstream config: entraTenant must be a tenant id (GUID), "organizations" or "common"');
  }
  const allowList = config.entraAllowedTenants?.map((value) => value.toLowerCase());
  if (allowList !== undefined && (allowList.length === 0 || !allowList.every((value) => isTenantId(value)))) {
    throw new TypeError("Upstream config: entraAllowedTenants must be a non-empty list of tenant ids (GUIDs)");
  }
  if (multiTenant && allowList === undefined) {
    throw new TypeError(
      `Upstream config: entraTenant "${tenant}" admits every Entra tenant; list the ones you trust in entraAllowedTenants`,
    );
  }
  if (!multiTenant && allowList !== undefined && !allowList.includes(tenant)) {
    throw new TypeError("Upstream config: entraAllowedTenants must include the single entraTenant");
  }
  const allowed = new Set(multiTenant ? allowList : [tenant]);
  const discoveryIssuer = new URL(`${ENTRA_ORIGIN}/${tenant}/v2.0`);
  return {
    kind: "entra",
    discoveryIssuer,
    expectedIssuer: multiTenant ? new URL(`${ENTRA_ORIGIN}/{tenantid}/v2.0`) : discoveryIssuer,
    insecure: false,
    scopes: ["openid", "profile", "email", "offline_access"],
    authorizeParams: {},
    clientAuth: "client_secret_post",
    ...(multiTenant ? { tenantIssuer: (tid: string) => `${ENTRA_ORIGIN}/${tid}/v2.0` } : {}),
    admit(claims: oauth.IDToken) {
      if (!isTenantId(claims.tid)) {
        throw new UpstreamError("invalid_response", "The identity provider's ID token has no valid tenant id (tid).");
      }
      if (!allowed.has(claims.tid)) {
        throw new UpstreamError("access_denied", "The Microsoft account's tenant is not allowed to sign in here.");
      }
    },
  };
}

import { decodeJwt } from "jose";
import * as oauth from "oauth4webapi";
import { z } from "zod";
import {
  authorizationRequestUrl,
  checkedDisplayName,
  checkedSubject,
  checkedTokens,
  expiresAt,
  requestOptions,
  scopeString,
  withStart,
  type CommonSettings,
} from "./config.ts";
import { UpstreamError, toUpstreamError } from "./errors.ts";
import type { UpstreamTokens } from "../grant.ts";
import { isLoopbackHostname } from "../loopback.ts";
import type { UpstreamClient, UpstreamKind, UpstreamPending, UpstreamUser } from "./types.ts";

/** How one OpenID Connect provider differs from the next; everything else is shared. */
export interface OidcPreset {
  kind: Exclude<UpstreamKind, "github">;
  /** The issuer whose `/.well-known/openid-configuration` is fetched. */
  discoveryIssuer: URL;
  /** The issuer the discovery document must name (Entra multi-tenant: its `{tenantid}` template). */
  expectedIssuer: URL;
  /** oauth4webapi's `allowInsecureRequests`: only ever true for a loopback issuer in local dev. */
  insecure: boolean;
  scopes: readonly string[];
  /** Extra authorization request parameters (Google's `access_type`, `hd`; `prompt`). */
  authorizeParams: Record<string, string>;
  /** How to send the client secret: fixed, or from `token_endpoint_auth_methods_supported`. */
  clientAuth: "client_secret_basic" | "client_secret_post" | "from_metadata";
  /**
   * Entra multi-tenant only: the issuer an ID token must carry given its own (not yet validated)
   * `tid`. oauth4webapi then checks `iss` against it like any other issuer; the check is never
   * skipped, only pinned per tenant.
   */
  tenantIssuer?: (tid: string) => string;
  /** Policy on validated ID token claims (hosted domain, tenant): throws `access_denied`. */
  admit: (claims: oauth.IDToken) => void;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Whether `value` is a lowercase GUID, the way Entra spells tenant ids in tokens. */
export function isTenantId(value: unknown): value is string {
  return typeof value === "string" && GUID.test(value);
}

/** The display name an ID token offers: `name`, else an email the provider says it verified. */
function displayNameFrom(claims: oauth.IDToken): string | undefined {
  return (
    checkedDisplayName(claims.name) ?? (claims.email_verified === true ? checkedDisplayName(claims.email) : undefined)
  );
}

/**
 * An OpenID Connect upstream (the oidc, google and entra presets) on oauth4webapi.
 *
 * Validates: the discovery document's issuer equals the configured one (per `expectedIssuer`);
 * the authorization response's `state` and, when present or advertised, its `iss` (RFC 9207);
 * the token response (oauth4webapi: `token_type`, `expires_in`, an ID token required); the ID
 * token's `iss`, `aud` (and `azp` with several audiences), `exp`, `iat`, `nonce` and its
 * signature against the provider's JWKS; the preset's policy (`admit`); subject and token sizes.
 * Does not validate: `auth_time` (no `max_age` is sent), the access token (opaque to us), the
 * UserInfo claims at sign-in (the ID token is the identity). On refresh, an ID token, when
 * present, is validated the same way except for `nonce` (OIDC Core §12.2: none is expected).
 * `revalidate` refreshes when there is a refresh token (a refreshed ID token must keep the
 * subject); otherwise it calls UserInfo with the access token and requires the same `sub`
 * (OIDC Core §5.3.2); a provider with no UserInfo endpoint is trusted until the access token's
 * expiry.
 */
export function oidcClient(preset: OidcPreset, settings: CommonSettings): UpstreamClient {
  const options = requestOptions(settings.send, preset.insecure);
  let metadata: Promise<oauth.AuthorizationServer> | undefined;
  /** Entra multi-tenant: one metadata copy per admitted tenant, so oauth4webapi's JWKS cache holds. */
  const perTenant = new Map<string, oauth.AuthorizationServer>();

  async function discover(): Promise<oauth.AuthorizationServer> {
    const response = await oauth.discoveryRequest(preset.discoveryIssuer, { ...options, algorithm: "oidc" });
    const as = await oauth.processDiscoveryResponse(preset.expectedIssuer, response);
    for (const endpoint of ["authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint"] as const) {
      const value = as[endpoint];
      // UserInfo is optional (only revalidating a sign-in without a refresh token uses it).
      if (endpoint === "userinfo_endpoint" && value === undefined) continue;
      if (typeof value !== "string") {
        throw new UpstreamError("invalid_response", `The identity provider's metadata has no ${endpoint}.`);
      }
      // With plain http allowed for a loopback issuer, its metadata must not lead anywhere else
      // over plain http; oauth4webapi itself refuses http endpoints in every other case.
      if (preset.insecure && !isLoopbackOrHttps(value)) {
        throw new UpstreamError(
          "invalid_response",
          `The identity provider's ${endpoint} must be https or on the loopback issuer's host.`,
        );
      }
    }
    return as;
  }

  /** The discovered metadata: fetched once per client, one request in flight, failures not kept. */
  function authorizationServer(): Promise<oauth.AuthorizationServer> {
    metadata ??= discover().catch((error: unknown) => {
      metadata = undefined;
      throw toUpstreamError(error, "discovery");
    });
    return metadata;
  }

  function client(): oauth.Client {
    // oauth4webapi reads the time from Date.now(); a test clock becomes a skew.
    return { client_id: settings.clientId, [oauth.clockSkew]: settings.now() - Math.floor(Date.now() / 1000) };
  }

  function clientAuth(as: oauth.AuthorizationServer): oauth.ClientAuth {
    let method = preset.clientAuth;
    if (method === "from_metadata") {
      // OIDC Discovery §3: absent means client_secret_basic.
      const supported = as.token_endpoint_auth_methods_supported ?? ["client_secret_basic"];
      if (supported.includes("client_secret_basic")) method = "client_secret_basic";
      else if (supported.includes("client_secret_post")) method = "client_secret_post";
      else {
        throw new UpstreamError(
          "invalid_response",
          "The identity provider's token endpoint accepts neither client_secret_basic nor client_secret_post.",
        );
      }
    }
    return method === "client_secret_basic"
      ? oauth.ClientSecretBasic(settings.clientSecret)
      : oauth.ClientSecretPost(settings.clientSecret);
  }

  /** The metadata to validate a token response's ID token with (Entra multi-tenant: per tenant). */
  async function metadataFor(as: oauth.AuthorizationServer, response: Response): Promise<oauth.AuthorizationServer> {
    if (preset.tenantIssuer === undefined || response.status !== 200) return as;
    let tid: unknown;
    try {
      const body: unknown = await response.clone().json();
      const idToken = typeof body === "object" && body !== null && "id_token" in body ? body.id_token : undefined;
      // Unverified on purpose: `tid` only picks the issuer to demand; the token is validated next.
      tid = typeof idToken === "string" ? decodeJwt(idToken).tid : undefined;
    } catch {
      return as; // oauth4webapi reports the malformed body or token precisely
    }
    if (!isTenantId(tid)) {
      throw new UpstreamError("invalid_response", "The identity provider's ID token has no valid tenant id (tid).");
    }
    const known = perTenant.get(tid);
    if (known !== undefined) return known;
    const tenantAs: oauth.AuthorizationServer = { ...as, issuer: preset.tenantIssuer(tid) };
    if (perTenant.size < 100) perTenant.set(tid, tenantAs);
    return tenantAs;
  }

  /** Signature check of the ID token oauth4webapi just processed (JWKS cached per metadata). */
  async function verifySignature(as: oauth.AuthorizationServer, response: Response): Promise<void> {
    await oauth.validateApplicationLevelSignature(as, response, options);
  }

  function tokensFrom(result: oauth.TokenEndpointResponse, previousRefreshToken?: string): UpstreamTokens {
    const refreshToken = result.refresh_token ?? previousRefreshToken;
    const expiry = expiresAt(settings.now(), result.expires_in);
    return checkedTokens({
      accessToken: result.access_token,
      ...(refreshToken === undefined ? {} : { refreshToken }),
      ...(expiry === undefined ? {} : { expiresAt: expiry }),
    });
  }

  return withStart({
    kind: preset.kind,

    prepare(): UpstreamPending {
      return { codeVerifier: oauth.generateRandomCodeVerifier(), nonce: oauth.generateRandomNonce() };
    },

    async authorizationOrigin(): Promise<string> {
      return new URL((await authorizationServer()).authorization_endpoint as string).origin;
    },

    async authorizationUrl({ redirectUri, state, pending }): Promise<URL> {
      checkRedirectAndState(redirectUri, state);
      const { codeVerifier, nonce } = checkPending(pending, true);
      const as = await authorizationServer();
      const scope = scopeString(preset.scopes, settings.extraScopes);
      return authorizationRequestUrl(
        as.authorization_endpoint as string,
        { clientId: settings.clientId, redirectUri, scope, state, codeVerifier },
        { ...preset.authorizeParams, nonce },
      );
    },

    async finish({ callbackUrl, redirectUri, state, pending }): Promise<UpstreamUser> {
      checkRedirectAndState(redirectUri, state);
      const { codeVerifier, nonce } = checkPending(pending, true);
      const as = await authorizationServer();
      let params: URLSearchParams;
      try {
        params = oauth.validateAuthResponse(as, client(), callbackUrl, state);
      } catch (error) {
        throw toUpstreamError(error, "callback");
      }
      let claims: oauth.IDToken;
      let result: oauth.TokenEndpointResponse;
      try {
        const response = await oauth.authorizationCodeGrantRequest(
          as,
          client(),
          clientAuth(as),
          params,
          redirectUri,
          codeVerifier,
          options,
        );
        const idAs = await metadataFor(as, response);
        result = await oauth.processAuthorizationCodeResponse(idAs, client(), response, {
          expectedNonce: nonce,
          requireIdToken: true,
        });
        await verifySignature(idAs, response);
        claims = oauth.getValidatedIdTokenClaims(result) as oauth.IDToken;
      } catch (error) {
        throw toUpstreamError(error, "exchange");
      }
      preset.admit(claims);
      const displayName = displayNameFrom(claims);
      return {
        subject: checkedSubject(claims.sub),
        ...(displayName === undefined ? {} : { displayName }),
        issuer: claims.iss,
        tokens: tokensFrom(result),
      };
    },

    refresh: (refreshToken) => refresh(refreshToken),

    async revalidate({ subject, tokens }): Promise<UpstreamTokens> {
      if (tokens.refreshToken !== undefined) return refresh(tokens.refreshToken, subject);
      const as = await authorizationServer();
      if (typeof as.userinfo_endpoint !== "string") {
        // Nothing to ask: the sign-in stands until its access token expires.
        if (tokens.expiresAt !== undefined && tokens.expiresAt <= settings.now()) {
          throw new UpstreamError(
            "invalid_grant",
            "The identity provider's access token expired and has no refresh token.",
          );
        }
        return tokens;
      }
      try {
        const response = await oauth.userInfoRequest(as, client(), tokens.accessToken, options);
        await oauth.processUserInfoResponse(as, client(), subject, response);
      } catch (error) {
        throw toUpstreamError(error, "userinfo");
      }
      return tokens;
    },
  });

  /**
   * A refresh-token grant. With `subject` (revalidating a grant), a refreshed ID token must name
   * the same user (OIDC Core §12.2); another subject is `invalid_grant`.
   */
  async function refresh(refreshToken: string, subject?: string): Promise<UpstreamTokens> {
    if (typeof refreshToken !== "string" || refreshToken === "") throw new TypeError("refreshToken must be a string");
    const as = await authorizationServer();
    let result: oauth.TokenEndpointResponse;
    try {
      const response = await oauth.refreshTokenGrantRequest(as, client(), clientAuth(as), refreshToken, options);
      const idAs = await metadataFor(as, response);
      result = await oauth.processRefreshTokenResponse(idAs, client(), response);
      if (result.id_token !== undefined) await verifySignature(idAs, response);
    } catch (error) {
      throw toUpstreamError(error, "refresh");
    }
    const claims = oauth.getValidatedIdTokenClaims(result);
    if (claims !== undefined) {
      preset.admit(claims);
      if (subject !== undefined && claims.sub !== subject) {
        throw new UpstreamError("invalid_grant", "The identity provider's refreshed ID token names another subject.");
      }
    }
    return tokensFrom(result, refreshToken);
  }
}

function isLoopbackOrHttps(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || (url.protocol === "http:" && isLoopbackHostname(url.hostname));
  } catch {
    return false;
  }
}

/** The app's own inputs: a programming error, not an upstream one, when wrong. */
export function checkRedirectAndState(redirectUri: string, state: string): void {
  if (typeof state !== "string" || state === "" || state.length > 1024) throw new TypeError("state must be a string");
  if (typeof redirectUri !== "string" || !URL.canParse(redirectUri)) {
    throw new TypeError("redirectUri must be an absolute URL");
  }
}

const pendingSchema = z.object({ codeVerifier: z.string().min(43).max(128), nonce: z.string().min(1).optional() });

/** The pending values `start()` returned; OIDC presets need the nonce too. */
export function checkPending(pending: UpstreamPending, needsNonce: boolean): { codeVerifier: string; nonce: string } {
  const parsed = pendingSchema.safeParse(pending);
  if (!parsed.success) throw new TypeError("pending must be what start() returned");
  if (needsNonce && parsed.data.nonce === undefined) {
    throw new TypeError("pending.nonce is required for OpenID Connect presets");
  }
  return { codeVerifier: parsed.data.codeVerifier, nonce: parsed.data.nonce ?? "" };
}

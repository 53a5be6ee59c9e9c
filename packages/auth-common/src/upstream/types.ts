import type { UpstreamTokens } from "../grant.ts";

export type { UpstreamTokens };

/** The upstream identity providers this package can sign users in with. */
export type UpstreamKind = "oidc" | "google" | "entra" | "github";

/** How to reach one upstream identity provider; checked once, when the client is built. */
export interface UpstreamConfig {
  kind: UpstreamKind;
  clientId: string;
  clientSecret: string;
  /** oidc: the issuer to discover (`/.well-known/openid-configuration`). */
  issuer?: string;
  /** google: when set, the ID token's `hd` claim must equal it (the `hd` request param is only a hint). */
  googleHostedDomain?: string;
  /** entra: a tenant id (GUID), or "organizations" / "common" — multi-tenant then REQUIRES entraAllowedTenants. */
  entraTenant?: string;
  /** entra: tenant ids (GUIDs) whose users may sign in; with a single tenant, only that tenant anyway. */
  entraAllowedTenants?: readonly string[];
  /**
   * github: GitHub Enterprise base (default https://github.com) and API (default
   * https://api.github.com, or `{base}/api/v3` when only the base is set, so a GitHub Enterprise
   * token is never sent to github.com).
   */
  githubBaseUrl?: string;
  githubApiUrl?: string;
  /**
   * Extra scopes to request upstream, added to the preset's: oidc `openid profile email
   * offline_access`, google `openid email profile` (refresh via `access_type=offline`), entra
   * `openid profile email offline_access`, github `read:user`.
   */
  scopes?: readonly string[];
  /** LOCAL DEV ONLY: permit plain http for a loopback issuer (127.0.0.1/localhost/[::1]); never for other hosts. */
  allowInsecureLoopback?: boolean;
  /** Fetch for every upstream call (default: the global `fetch`). */
  fetch?: typeof fetch;
  /** clock for tests, seconds */
  now?: () => number;
  /** Abort each upstream call (headers and body) after this many seconds (default 10). */
  timeoutSeconds?: number;
  /** `User-Agent` sent upstream (default `mcp-auth-upstream`; GitHub's API requires one). */
  userAgent?: string;
}

/** Who signed in upstream, and the upstream tokens to keep (encrypted) in the grant. */
export interface UpstreamUser {
  /** The user's stable id at the issuer: the OIDC `sub`, GitHub's numeric id as a string. */
  subject: string;
  /** A name to show: the ID token's `name`, else a verified email; GitHub's login. */
  displayName?: string;
  /** The identity issuer to record, e.g. the OIDC iss, "https://github.com". */
  issuer: string;
  tokens: UpstreamTokens;
}

/** What the app keeps across the upstream redirect (in the library's `beginUpstream` data). */
export interface UpstreamPending {
  codeVerifier: string;
  nonce?: string;
}

/** Where to send the browser, and what to keep until it comes back. */
export interface UpstreamStart {
  url: URL;
  /** what the app must keep (it stores it in the library's beginUpstream data) */
  pending: UpstreamPending;
}

/** One upstream identity provider, as the oauth-proxy app uses it. */
export interface UpstreamClient {
  readonly kind: UpstreamKind;
  /**
   * The values to keep across the redirect (PKCE verifier; nonce for OIDC presets), made before
   * the `state` exists: the library's `beginUpstream()` stores them and only then creates `state`.
   */
  prepare(): UpstreamPending;
  /** Where the browser goes: the origin of the authorization endpoint (the consent page's form-action). */
  authorizationOrigin(): Promise<string>;
  /** Where to send the browser: PKCE S256 always; nonce for OIDC presets; the app's `state`. */
  authorizationUrl(input: { redirectUri: string; state: string; pending: UpstreamPending }): Promise<URL>;
  /** {@link prepare} and {@link authorizationUrl} in one, when `state` is known first. */
  start(input: { redirectUri: string; state: string }): Promise<UpstreamStart>;
  /**
   * At the callback: validate the authorization response (state, RFC 9207 `iss`), exchange the
   * code with PKCE and the client secret, validate the ID token (OIDC presets) or fetch the user
   * (GitHub), and return who signed in with the upstream tokens.
   */
  finish(input: {
    callbackUrl: URL;
    redirectUri: string;
    state: string;
    pending: UpstreamPending;
  }): Promise<UpstreamUser>;
  /** Refresh the upstream access token; the old refresh token is kept when upstream does not rotate it. */
  refresh(refreshToken: string): Promise<UpstreamTokens>;
  /**
   * Ask the upstream whether this sign-in still stands, and return the tokens to keep: with an
   * upstream refresh token, a refresh (the new tokens); without one, a check of the access token
   * (OIDC UserInfo for `subject`; GitHub's `POST /applications/{client_id}/token`), the same
   * tokens. Throws {@link UpstreamError}: `invalid_grant` when upstream says the user or token is
   * gone, `temporarily_unavailable` for an outage.
   */
  revalidate(grant: { subject: string; tokens: UpstreamTokens }): Promise<UpstreamTokens>;
}

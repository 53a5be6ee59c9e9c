import * as oauth from "oauth4webapi";
import { z } from "zod";
import type { UpstreamTokens } from "../grant.ts";
import {
  authorizationRequestUrl,
  checkedDisplayName,
  checkedSubject,
  checkedTokens,
  expiresAt,
  requestOptions,
  scopeString,
  withStart,
  upstreamUrl,
  type CommonSettings,
} from "./config.ts";
import { UpstreamError, isTransientStatus, safeUpstreamCode, toUpstreamError } from "./errors.ts";
import { checkPending, checkRedirectAndState } from "./oidc.ts";
import type { UpstreamClient, UpstreamConfig, UpstreamPending, UpstreamUser } from "./types.ts";

const GITHUB = "https://github.com";
const GITHUB_API = "https://api.github.com";

/** The fields of GitHub's `GET /user` we read; the numeric id is the stable identity (logins can change). */
const githubUserSchema = z.looseObject({
  id: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  login: z.string(),
});

function withoutTrailingSlash(url: URL): string {
  return url.href.replace(/\/+$/, "");
}

/**
 * A GitHub REST answer read as `schema`, or the {@link UpstreamError} its status or body means:
 * 429, 5xx and an exhausted rate limit (403 with `x-ratelimit-remaining: 0`) are
 * `temporarily_unavailable`; 404 or 422 are `invalid_grant` where the call names a `revoked`
 * message; any other non-200, a body that is not JSON or not of `schema`, `invalid_response`.
 */
async function readAnswer<T>(
  response: Response,
  schema: z.ZodType<T>,
  say: { api: string; refused: string; malformed: string; revoked?: string },
): Promise<T> {
  const status = response.status;
  if (isTransientStatus(status) || (status === 403 && response.headers.get("x-ratelimit-remaining") === "0")) {
    throw new UpstreamError("temporarily_unavailable", `${say.api} is unavailable (HTTP ${status}).`, { status });
  }
  if (say.revoked !== undefined && (status === 404 || status === 422)) {
    throw new UpstreamError("invalid_grant", `${say.revoked} (HTTP ${status}).`, { status });
  }
  if (status !== 200) {
    throw new UpstreamError("invalid_response", `${say.api} refused ${say.refused} (HTTP ${status}).`, { status });
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new UpstreamError("invalid_response", `${say.api} answered something other than JSON.`);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new UpstreamError("invalid_response", say.malformed);
  return parsed.data;
}

/**
 * GitHub (or GitHub Enterprise Server) sign-in: OAuth 2.0, not OpenID Connect, on oauth4webapi.
 *
 * Validates: the callback's `state` (GitHub sends no `iss`, so none is required; one that is
 * present must name the configured base); the token answer, including GitHub's
 * errors-as-HTTP-200 (`{"error": "bad_verification_code"}`), which become `invalid_response` on
 * code exchange and, for `bad_refresh_token`, `invalid_grant` on refresh; `GET {api}/user`
 * (Bearer, `Accept: application/vnd.github+json`, a `User-Agent`) answers 200 with a positive
 * integer `id` and a `login`.
 * Does not validate: the granted scopes (GitHub may grant fewer; only the user's id is needed),
 * the user's email addresses (never used), organisation membership (not a policy here).
 * PKCE S256 is always sent (GitHub supports it); the client secret goes in the body.
 * `revalidate` refreshes when there is a refresh token (GitHub Apps) and otherwise asks GitHub's
 * token check (OAuth Apps), see `checkToken`.
 */
export function githubClient(config: UpstreamConfig, settings: CommonSettings): UpstreamClient {
  const base = upstreamUrl(config.githubBaseUrl ?? GITHUB, "githubBaseUrl", config.allowInsecureLoopback);
  const baseUrl = withoutTrailingSlash(base.url);
  // A GitHub Enterprise base without an API URL gets its own API, never api.github.com: the
  // user's token must not travel to another host.
  const api = upstreamUrl(
    config.githubApiUrl ?? (baseUrl === GITHUB ? GITHUB_API : `${baseUrl}/api/v3`),
    "githubApiUrl",
    config.allowInsecureLoopback,
  );
  const apiUrl = withoutTrailingSlash(api.url);
  const as: oauth.AuthorizationServer = {
    issuer: baseUrl,
    authorization_endpoint: `${baseUrl}/login/oauth/authorize`,
    token_endpoint: `${baseUrl}/login/oauth/access_token`,
  };
  const options = requestOptions(settings.send, base.insecure);
  const client: oauth.Client = { client_id: settings.clientId };
  const clientAuth = oauth.ClientSecretPost(settings.clientSecret);

  /** GitHub answers token errors as HTTP 200 `{error, error_description}`; the code, vetted, or nothing. */
  async function errorIn200(response: Response): Promise<string | undefined> {
    if (response.status !== 200) return undefined;
    try {
      const body: unknown = await response.clone().json();
      if (typeof body === "object" && body !== null && "error" in body) return safeUpstreamCode(body.error);
    } catch {
      // not JSON: oauth4webapi says so next
    }
    return undefined;
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

  async function fetchUser(accessToken: string): Promise<z.infer<typeof githubUserSchema>> {
    const response = await settings.send(`${apiUrl}/user`, {
      method: "GET",
      headers: {
        accept: "application/vnd.github+json",
        authorization: `Bearer ${accessToken}`,
        "x-github-api-version": "2022-11-28",
      },
    });
    return readAnswer(response, githubUserSchema, {
      api: "GitHub's user API",
      refused: "the new access token",
      malformed: "GitHub's user API answer has no numeric id and login.",
    });
  }

  return withStart({
    kind: "github",

    prepare(): UpstreamPending {
      return { codeVerifier: oauth.generateRandomCodeVerifier() };
    },

    authorizationOrigin(): Promise<string> {
      return Promise.resolve(new URL(as.authorization_endpoint as string).origin);
    },

    async authorizationUrl({ redirectUri, state, pending }): Promise<URL> {
      checkRedirectAndState(redirectUri, state);
      const { codeVerifier } = checkPending(pending, false);
      const scope = scopeString(["read:user"], settings.extraScopes);
      return authorizationRequestUrl(as.authorization_endpoint as string, {
        clientId: settings.clientId,
        redirectUri,
        scope,
        state,
        codeVerifier,
      });
    },

    async finish({ callbackUrl, redirectUri, state, pending }): Promise<UpstreamUser> {
      checkRedirectAndState(redirectUri, state);
      const { codeVerifier } = checkPending(pending, false);
      let result: oauth.TokenEndpointResponse;
      try {
        const params = oauth.validateAuthResponse(as, client, callbackUrl, state);
        const response = await oauth.authorizationCodeGrantRequest(
          as,
          client,
          clientAuth,
          params,
          redirectUri,
          codeVerifier,
          options,
        );
        const error = await errorIn200(response);
        if (error !== undefined) {
          throw new UpstreamError("invalid_response", `GitHub refused the authorization code (error=${error}).`);
        }
        result = await oauth.processAuthorizationCodeResponse(as, client, response);
      } catch (error) {
        throw toUpstreamError(error, "exchange");
      }
      const tokens = tokensFrom(result);
      const user = await fetchUser(tokens.accessToken);
      const displayName = checkedDisplayName(user.login);
      return {
        subject: checkedSubject(String(user.id)),
        ...(displayName === undefined ? {} : { displayName }),
        issuer: baseUrl,
        tokens,
      };
    },

    refresh,

    async revalidate({ subject, tokens }): Promise<UpstreamTokens> {
      // A GitHub App with expiring user tokens has a refresh token: refreshing is the check.
      if (tokens.refreshToken !== undefined) return refresh(tokens.refreshToken);
      await checkToken(subject, tokens.accessToken);
      return tokens;
    },
  });

  /**
   * GitHub's "check a token" (`POST {api}/applications/{client_id}/token`, Basic client id and
   * secret): an OAuth App's tokens never expire and have no refresh token, so this is the only
   * way to see that the user revoked the app (404).
   * Validates: 200 with `user.id` equal to the grant's subject (else `invalid_grant`); 404 or 422
   * (the token is revoked, deleted or not this app's) is `invalid_grant`; 429, 5xx and an
   * exhausted rate limit are `temporarily_unavailable`; anything else `invalid_response`.
   * Does not validate: the token's scopes or expiry (GitHub reports them, none is a policy here).
   */
  async function checkToken(subject: string, accessToken: string): Promise<void> {
    const response = await settings.send(`${apiUrl}/applications/${encodeURIComponent(settings.clientId)}/token`, {
      method: "POST",
      headers: {
        accept: "application/vnd.github+json",
        authorization: `Basic ${btoa(`${settings.clientId}:${settings.clientSecret}`)}`,
        "content-type": "application/json",
        "x-github-api-version": "2022-11-28",
      },
      body: JSON.stringify({ access_token: accessToken }),
    });
    const answer = await readAnswer(response, z.looseObject({ user: githubUserSchema }), {
      api: "GitHub's token check",
      refused: "this app",
      malformed: "GitHub's token check answer has no user with a numeric id.",
      revoked: "GitHub no longer honours the access token",
    });
    if (String(answer.user.id) !== subject) {
      throw new UpstreamError("invalid_grant", "GitHub's token check names another user.");
    }
  }

  async function refresh(refreshToken: string): Promise<UpstreamTokens> {
    if (typeof refreshToken !== "string" || refreshToken === "") throw new TypeError("refreshToken must be a string");
    let result: oauth.TokenEndpointResponse;
    try {
      const response = await oauth.refreshTokenGrantRequest(as, client, clientAuth, refreshToken, options);
      const error = await errorIn200(response);
      if (error === "bad_refresh_token") {
        throw new UpstreamError(
          "invalid_grant",
          "GitHub no longer honours the refresh token (error=bad_refresh_token).",
        );
      }
      if (error !== undefined) {
        throw new UpstreamError("invalid_response", `GitHub refused the refresh (error=${error}).`);
      }
      result = await oauth.processRefreshTokenResponse(as, client, response);
    } catch (error) {
      throw toUpstreamError(error, "refresh");
    }
    return tokensFrom(result, refreshToken);
  }
}

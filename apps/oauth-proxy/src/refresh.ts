import {
  GrantType,
  OAuthError,
  type TokenExchangeCallbackOptions,
  type TokenExchangeCallbackResult,
} from "@cloudflare/workers-oauth-provider";
import { UpstreamError, grantPropsSchema, type UpstreamClient } from "@mcp-auth/auth-common";

/** Refresh the upstream token when it has less than this left (seconds). */
export const UPSTREAM_REFRESH_MARGIN_SECONDS = 300;

/**
 * Our refresh is the moment to renew the upstream token, and only when it is near expiry:
 * an upstream `invalid_grant` (the user revoked this app there) ends our grant too, so the
 * client re-authorizes; an upstream outage is `temporarily_unavailable` and keeps the grant.
 */
export async function refreshUpstream(
  options: TokenExchangeCallbackOptions<Env>,
  upstream: UpstreamClient,
  now: () => number = () => Math.floor(Date.now() / 1000),
): Promise<TokenExchangeCallbackResult | undefined> {
  if (options.grantType !== GrantType.REFRESH_TOKEN) return undefined;
  const props = grantPropsSchema.parse(options.props);
  const tokens = props.upstream;
  if (tokens?.expiresAt === undefined || tokens.expiresAt - now() > UPSTREAM_REFRESH_MARGIN_SECONDS) return undefined;
  if (tokens.refreshToken === undefined) {
    throw new OAuthError("invalid_grant", {
      description: "The sign-in at the identity provider has expired; authorize again.",
    });
  }
  try {
    const renewed = await upstream.refresh(tokens.refreshToken);
    return {
      newProps: { ...props, upstream: { ...renewed, refreshToken: renewed.refreshToken ?? tokens.refreshToken } },
    };
  } catch (error) {
    if (!(error instanceof UpstreamError)) throw error;
    if (error.code === "temporarily_unavailable") {
      throw new OAuthError("temporarily_unavailable", {
        description: "The identity provider is not answering; try again shortly.",
        statusCode: 503,
        headers: { "Retry-After": "30" },
        internal: { category: "token-exchange-callback", reason: "upstream_unavailable" },
      });
    }
    throw new OAuthError("invalid_grant", {
      description: "The identity provider no longer accepts this sign-in; authorize again.",
      internal: { category: "token-exchange-callback", reason: `upstream_${error.code}` },
    });
  }
}

import {
  GrantType,
  OAuthError,
  type TokenExchangeCallbackOptions,
  type TokenExchangeCallbackResult,
} from "@cloudflare/workers-oauth-provider";
import { grantPropsSchema } from "@mcp-auth/auth-common/authorization-server";
import type { Revalidate } from "./upstream-gate.ts";

/**
 * Every refresh of ours asks the upstream whether the user's sign-in still stands
 * (`UpstreamClient.revalidate`, one call at a time per grant): an upstream refusal
 * (`invalid_grant`: the user revoked this app there, or its answer no longer fits the grant)
 * ends our grant too, with its tokens, so the client re-authorizes; an upstream outage is
 * `temporarily_unavailable` (503, `Retry-After`) and keeps the grant for the retry.
 */
export async function refreshUpstream(
  options: TokenExchangeCallbackOptions<Env>,
  revalidate: Revalidate,
): Promise<TokenExchangeCallbackResult | undefined> {
  if (options.grantType !== GrantType.REFRESH_TOKEN) return undefined;
  const props = grantPropsSchema.parse(options.props);
  const tokens = props.upstream;
  if (tokens === undefined) {
    throw new OAuthError("invalid_grant", {
      description: "This grant holds no sign-in at the identity provider; authorize again.",
      internal: { category: "token-exchange-callback", reason: "upstream_missing" },
    });
  }
  let outcome;
  try {
    outcome = await revalidate({ userId: options.userId, grantId: options.grantId, subject: props.subject, tokens });
  } catch {
    // The gate itself failed (a Durable Object reset or overload): nothing was learnt about the
    // user, so the grant stays and the client retries, as for an upstream outage.
    outcome = { error: "temporarily_unavailable", reason: "the upstream gate did not answer" } as const;
  }
  if ("tokens" in outcome) {
    const unchanged = JSON.stringify(outcome.tokens) === JSON.stringify(tokens);
    return unchanged ? undefined : { newProps: { ...props, upstream: outcome.tokens } };
  }
  if (outcome.error === "temporarily_unavailable") {
    throw new OAuthError("temporarily_unavailable", {
      description: "The identity provider is not answering; try again shortly.",
      statusCode: 503,
      headers: { "Retry-After": "30" },
      internal: { category: "token-exchange-callback", reason: "upstream_unavailable" },
    });
  }
  throw new OAuthError("invalid_grant", {
    description: "The identity provider no longer accepts this sign-in; authorize again.",
    internal: { category: "token-exchange-callback", reason: `upstream_${outcome.error}` },
  });
}

// Every code exchange and refresh asks D1 whether the account may still sign in and the grant
// stands: a disabled account's or a revoked grant ends with invalid_grant, even where KV still
// serves the grant, so its client must start over.
import { GrantType, OAuthError, type TokenExchangeCallbackOptions } from "@cloudflare/workers-oauth-provider";
import type { AppContext } from "./context.ts";
import { grantStanding } from "./users.ts";

/**
 * The library's `tokenExchangeCallback`: refuses a code exchange or refresh whose grant no
 * longer stands (audited `grant_exchanged` / `grant_refreshed` `refused`), audits a refresh.
 * Validates: the user exists and is enabled, the grant is not revoked (D1, uncached).
 * Does not validate: the code or refresh token itself (the library's, RFC 6749 §4.1.3, §6).
 */
export function refuseEndedGrants(context: Pick<AppContext, "db" | "audit">) {
  return async (options: TokenExchangeCallbackOptions<Env>): Promise<undefined> => {
    const refresh = options.grantType === GrantType.REFRESH_TOKEN;
    if (!refresh && options.grantType !== GrantType.AUTHORIZATION_CODE) return undefined;
    const standing = await grantStanding(context.db, options.userId, options.grantId);
    const who = { userId: options.userId, clientId: options.clientId, grantId: options.grantId };
    if (standing !== "in_force") {
      const event = refresh ? "grant_refreshed" : "grant_exchanged";
      context.audit({ event, outcome: "refused", ...who, detail: standing });
      throw new OAuthError("invalid_grant", {
        description:
          standing === "grant_revoked"
            ? "This grant was revoked."
            : "The account this grant belongs to cannot sign in.",
        internal: { category: "token-exchange-callback", reason: standing },
      });
    }
    if (refresh) context.audit({ event: "grant_refreshed", outcome: "ok", ...who });
    return undefined;
  };
}

// Enterprise-managed authorization (MCP extension; IETF draft "Identity Assertion JWT
// Authorization Grant"): a client presents an ID-JAG its enterprise IdP issued at /token (RFC 7523
// jwt-bearer grant) and gets an access token for one of this server's own users. The library
// validates the assertion; this module names the trusted IdP and maps the assertion to a user.
import type { EmaClaimsMapperInput, EmaClaimsMapperResult, EmaOptions } from "@cloudflare/workers-oauth-provider";
import { clientAddress } from "@mcp-auth/auth-common";
import { grantPropsSchema } from "@mcp-auth/auth-common/authorization-server";
import type { ConsentScopes } from "@mcp-auth/auth-common/authorization-server";
import type { EnterpriseIdp } from "./config.ts";
import type { AppContext } from "./context.ts";
import { findByEmail } from "./users.ts";

/** Why an assertion the library accepted maps to no user (the `detail` of its audit row). */
export type EnterpriseRefusal = "no_verified_email" | "unknown_user" | "user_disabled";

/**
 * The scopes an enterprise token gets: what the client asked for (the library already cut it to
 * the assertion's `scope`), capped by what the resource allows; nothing asked, its initial scopes.
 * Users have no scopes of their own here: every user may hold every scope the server offers.
 */
export function enterpriseScopes(requested: readonly string[], consent: ConsentScopes): string[] {
  if (requested.length === 0) return [...consent.initialScopes];
  return consent.scopes.filter((scope) => requested.includes(scope));
}

/**
 * Maps a validated ID-JAG to an existing local user, never creating one.
 * Validates: the assertion carries `email` with `email_verified: true`; a user with that email
 * (compared as users.ts compares emails) exists and is enabled. Audited `enterprise_token_issued`
 * `ok` or `enterprise_assertion_refused` with an {@link EnterpriseRefusal}.
 * Does not validate: the assertion's signature, issuer, audience, lifetime, replay, client binding
 * or resource (the library did, before calling this: draft-ietf-oauth-identity-assertion-authz-grant
 * §5, RFC 7523 §3).
 */
export function mapEnterpriseClaims(context: Pick<AppContext, "db" | "audit" | "consent" | "publicOrigin">) {
  return async ({ claims, clientInfo, requestedScope, request, resource }: EmaClaimsMapperInput<Env>) => {
    const who = { clientId: clientInfo.clientId, address: clientAddress(request) };
    const refuse = (detail: EnterpriseRefusal, userId?: string): null => {
      context.audit({ event: "enterprise_assertion_refused", outcome: "refused", ...who, userId, detail });
      return null;
    };
    // The IdP vouches for the address, or it names nobody here (an unverified email is anyone's).
    if (typeof claims.email !== "string" || claims["email_verified"] !== true) return refuse("no_verified_email");
    const found = await findByEmail(context.db, claims.email);
    if (found === undefined) return refuse("unknown_user");
    const { user } = found;
    if (user.disabled) return refuse("user_disabled", user.id);
    // Capped by the resource the assertion is for (this server's /mcp, or an EXTRA_RESOURCES one).
    const scope = enterpriseScopes(requestedScope, context.consent(resource));
    // Written as the mapping admits the user: the library mints the token right after, and the
    // grant id it makes is not known here.
    context.audit({
      event: "enterprise_token_issued",
      outcome: "ok",
      ...who,
      userId: user.id,
      detail: `scope=${scope.join(" ")}`,
    });
    const result: EmaClaimsMapperResult = {
      // The user id holds no ":" (the library's separator) by construction; see users.ts.
      userId: user.id,
      scope,
      // Not encrypted, never shown to the client: which enterprise identity the grant came from.
      metadata: { enterprise: { issuer: claims.iss, subject: claims.sub } },
      // The same props as the user's own sign-in: the same subject, the same notes.
      props: grantPropsSchema.parse({ subject: user.id, displayName: user.displayName, issuer: context.publicOrigin }),
    };
    return result;
  };
}

/** The library's `enterpriseManagedAuthorization` for the one trusted `idp`. */
export function enterpriseAuthorization(
  idp: EnterpriseIdp,
  context: Pick<AppContext, "db" | "audit" | "consent" | "publicOrigin">,
): EmaOptions<Env> {
  const trusted = { issuer: idp.issuer, jwksUri: idp.jwksUrl, algorithms: idp.algorithms, audience: idp.audience };
  return {
    // `iss` is unverified here: it only picks the IdP whose keys must then verify the signature.
    trustedIssuers: async ({ iss }) => (iss === idp.issuer ? trusted : null),
    mapClaims: mapEnterpriseClaims(context),
  };
}

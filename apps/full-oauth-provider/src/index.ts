import { clientAddress, landingPage, originPolicy, type Route } from "@mcp-auth/auth-common";
import { authorizationServerWorker, browserRoute, type PageContext } from "@mcp-auth/auth-common/authorization-server";
import {
  INITIAL_SCOPES,
  MAX_NOTES_IMPORT_BYTES,
  SCOPES,
  SCOPE_DESCRIPTIONS,
  createMcpEndpoint,
  notesAdminRoutes,
} from "@mcp-auth/mcp-core";
import { durableNotes } from "@mcp-auth/mcp-core/notes-object";
import { removePasskeyForm, revokeApp, showAccount } from "./account.ts";
import { admitGrantInForce } from "./account-check.ts";
import { decide, showConsent } from "./authorize.ts";
import { enterpriseIdpOf, loadConfig } from "./config.ts";
import { appContext, type RouteContext } from "./context.ts";
import { devSignIn } from "./dev-seed.ts";
import { enterpriseAuthorization } from "./enterprise.ts";
import { acceptWithPassword, invitePasskeyOptions, invitePasskeyVerify, openInvite, showInvite } from "./invite.ts";
import { pageContent } from "./page.ts";
import { authenticateResourceServer } from "./resource-servers.ts";
import {
  authenticationOptions,
  authenticationVerify,
  passkeyScript,
  registrationOptions,
  registrationVerify,
} from "./passkeys.ts";
import { withRevocationRecord } from "./revocation.ts";
import { showLogin, signIn, signOut } from "./sessions.ts";
import { refuseEndedGrants } from "./token-exchange.ts";
import { recordAndAuditRevokedGrants } from "./users.ts";

export { NotesObject } from "@mcp-auth/mcp-core/notes-object";
export { RefreshLedger } from "@mcp-auth/auth-common/authorization-server";

const SERVER_NAME = "MCP full-oauth-provider reference server";

export default authorizationServerWorker<Env>((env) => {
  const config = loadConfig(env);
  const origins = originPolicy([new URL(config.PUBLIC_ORIGIN).hostname], config.ALLOWED_ORIGINS);
  const endpoint = createMcpEndpoint({ name: "mcp-full-oauth-provider", version: "1.0.0", ...origins });
  const consent = {
    scopes: SCOPES,
    initialScopes: INITIAL_SCOPES,
    descriptions: SCOPE_DESCRIPTIONS,
    serverName: SERVER_NAME,
  };
  const app = appContext(env, config, consent);
  const enterpriseIdp = enterpriseIdpOf(config);
  /** A route of this app's own pages, given the app's context and this request's library helpers. */
  const page =
    (route: (request: Request, context: RouteContext) => Promise<Response>): Route<PageContext<Env>> =>
    (request, { oauth }) =>
      route(request, { ...app, oauth });
  return {
    serverName: SERVER_NAME,
    pattern: "full-oauth-provider",
    publicOrigin: config.PUBLIC_ORIGIN,
    origins,
    rateLimitPeriodSeconds: config.RATE_LIMIT_PERIOD_SECONDS,
    scopes: SCOPES,
    initialScopes: INITIAL_SCOPES,
    extraResources: Object.keys(config.EXTRA_RESOURCES ?? {}),
    // Registered resource servers (`npm run resource-servers`) ask here whether a token is active.
    introspection: {
      authenticate: (_env, id, secret) => authenticateResourceServer(app.db, id, secret),
      limiter: ({ INTROSPECTION_LIMITER }) => INTROSPECTION_LIMITER,
      periodSeconds: 60,
    },
    mcp: (request, env, call) => endpoint.fetch(request, { ...call, notes: durableNotes(env.NOTES) }),
    // GET|POST|DELETE /admin/notes (npm run notes): only while NOTES_ADMIN_SECRET is set.
    admin: {
      secret: config.NOTES_ADMIN_SECRET,
      maxBodyBytes: MAX_NOTES_IMPORT_BYTES,
      routes: notesAdminRoutes((env: Env) => durableNotes(env.NOTES)),
    },
    // D1 says whether the token's grant and account still stand (KV may lag behind a revocation).
    admit: (_env, caller) => admitGrantInForce(app, caller),
    routes: {
      // Sign in first (the login page comes back here), then consent, unless remembered.
      "/authorize": browserRoute({ GET: page(showConsent), POST: page(decide) }),
      "GET /login": page(showLogin),
      "POST /login": page(signIn),
      "POST /logout": page(signOut),
      "POST /login/passkey/options": page(authenticationOptions),
      "POST /login/passkey/verify": page(authenticationVerify),
      "/account": page(showAccount),
      "POST /account/revoke": page(revokeApp),
      "POST /account/passkeys/options": page(registrationOptions),
      "POST /account/passkeys/verify": page(registrationVerify),
      "POST /account/passkeys/remove": page(removePasskeyForm),
      // An invited person's first credential (`npm run users -- invite`): a password or a passkey.
      "GET /invite": page(showInvite),
      "POST /invite/open": page(openInvite),
      "POST /invite/accept": page(acceptWithPassword),
      "POST /invite/passkey/options": page(invitePasskeyOptions),
      "POST /invite/passkey/verify": page(invitePasskeyVerify),
      "/passkeys.js": () => passkeyScript(),
      "/": async (request) =>
        landingPage(request, pageContent(config, await devSignIn(app.db, config.PUBLIC_ORIGIN, await app.peppers))),
    },
    // An RFC 7009 revocation at /token is recorded in D1 and audited, as a Revoke is.
    around: (request, { OAUTH_KV }, next) => withRevocationRecord(request, OAUTH_KV, app, next),
    // A disabled account's or a revoked grant's code exchange and refresh end with invalid_grant.
    tokenExchangeCallback: refuseEndedGrants(app),
    // An ID-JAG from the configured enterprise IdP, for an existing user (jwt-bearer at /token).
    ...(enterpriseIdp === undefined
      ? {}
      : { enterpriseManagedAuthorization: enterpriseAuthorization(enterpriseIdp, app) }),
    onProviderError: (event) => {
      // A bad bearer token on /mcp is a log line (it can come by the thousand), not an audit row.
      if (event.reason.includes(":protected-resource:")) return;
      const enterprise = /:enterprise-managed-authorization:(.+)$/.exec(event.reason)?.[1];
      if (enterprise !== undefined) {
        // mapper_denied was audited with its user and why (enterprise.ts).
        if (enterprise === "mapper_denied") return;
        const detail = enterprise;
        app.audit({ event: "enterprise_assertion_refused", outcome: "refused", address: event.address, detail });
        return;
      }
      app.audit({
        event: "security",
        outcome: "refused",
        address: event.address,
        detail: `${event.path} ${event.reason}`,
      });
    },
    // A reused refresh token ended its grant in KV: D1 refuses the grant everywhere within
    // seconds too, and the audit log says why (RFC 9700 §4.14.2).
    onRefreshReuse: async (_env, { userId, grantId, clientId, address }) => {
      app.audit({ event: "refresh_reuse_detected", outcome: "refused", userId, clientId, grantId, address });
      const why = { detail: "refresh_reuse", address };
      await recordAndAuditRevokedGrants(app.db, userId, [{ id: grantId, clientId }], why, app.audit);
    },
    onClientRegistered: (clientId, request) => {
      app.audit({ event: "client_registered", outcome: "ok", clientId, address: clientAddress(request) });
    },
  };
}) satisfies ExportedHandler<Env>;

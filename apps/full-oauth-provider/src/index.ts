import {
  AuthError,
  clientAddress,
  configLoader,
  landingPage,
  logEndpointAnswer,
  notFoundResponse,
  sha256Hex,
  sseRetiredResponse,
  toAuthInfo,
  withConfig,
} from "@mcp-auth/auth-common";
import { authorizationServer } from "@mcp-auth/auth-common/authorization-server";
import { INITIAL_SCOPES, SCOPES, createMcpEndpoint } from "@mcp-auth/mcp-core";
import { durableNotes } from "@mcp-auth/mcp-core/notes-object";
import { removePasskeyForm, revokeApp, showAccount } from "./account.ts";
import { authorizeRoutes } from "./authorize.ts";
import { loadConfig } from "./config.ts";
import { noteAppUse } from "./app-use.ts";
import { appContext } from "./context.ts";
import { devSignIn } from "./dev-seed.ts";
import { pageContent } from "./page.ts";
import {
  authenticationOptions,
  authenticationVerify,
  passkeyScript,
  registrationOptions,
  registrationVerify,
} from "./passkeys.ts";
import { showLogin, signIn, signOut } from "./sessions.ts";
import { tokenGrantInForce } from "./account-check.ts";
import { withRevocationRecord } from "./revocation.ts";
import { refuseEndedGrants } from "./token-exchange.ts";

export { NotesObject } from "@mcp-auth/mcp-core/notes-object";

const SERVER_NAME = "MCP full-oauth-provider reference server";

/** Built once per configuration: the authorization server, the endpoint, the pepper. */
const serverFor = configLoader((env: Env) => {
  const config = loadConfig(env);
  const app = appContext(env, config, SERVER_NAME);
  const server = authorizationServer<Env>({
    serverName: SERVER_NAME,
    pattern: "full-oauth-provider",
    publicOrigin: config.PUBLIC_ORIGIN,
    allowedOrigins: config.ALLOWED_ORIGINS,
    rateLimitPeriodSeconds: config.RATE_LIMIT_PERIOD_SECONDS,
    scopes: SCOPES,
    initialScopes: INITIAL_SCOPES,
    serveMcp: async (request, env, identity, resource, grantId) => {
      // Revoking a grant or disabling its user deletes it from KV (the library refuses its tokens
      // from then on); this check bounds what KV's propagation delay could still let through.
      // The token's own SHA-256 too: a client may have revoked this access token alone (RFC 7009).
      const bearer = /^Bearer (\S+)$/i.exec(request.headers.get("authorization") ?? "")?.[1] ?? "";
      const tokenHash = await sha256Hex(bearer);
      if (grantId === undefined || !(await tokenGrantInForce(env.DB, identity.subject, grantId, tokenHash))) {
        throw new AuthError("invalid_token", "This token's grant was revoked or its account cannot sign in.");
      }
      noteAppUse(app, identity.subject, identity.clientId);
      const answer = await endpoint.fetch(request, {
        authInfo: toAuthInfo(identity, resource.challenge(request)),
        notes: durableNotes(env.NOTES),
        onInsufficientScope: (held, missing) => resource.insufficientScope(request, held, missing),
      });
      return logEndpointAnswer(request, answer, identity);
    },
    pages: async (request, env, oauth) => {
      const context = { ...app, oauth };
      const routed = await authorizeRoutes(request, context);
      if (routed) return routed;
      const { pathname } = new URL(request.url);
      const method = request.method;
      if (pathname === "/login" && method === "GET") return showLogin(request, context);
      if (pathname === "/login" && method === "POST") return signIn(request, context);
      if (pathname === "/logout" && method === "POST") return signOut(request, context);
      if (method === "POST") {
        switch (pathname) {
          case "/login/passkey/options":
            return authenticationOptions(request, context);
          case "/login/passkey/verify":
            return authenticationVerify(request, context);
          case "/account/passkeys/options":
            return registrationOptions(request, context);
          case "/account/passkeys/verify":
            return registrationVerify(request, context);
          case "/account/passkeys/remove":
            return removePasskeyForm(request, context);
          case "/account/revoke":
            return revokeApp(request, context);
        }
      }
      switch (pathname) {
        case "/":
          return landingPage(
            request,
            pageContent(config, await devSignIn(env.DB, config.PUBLIC_ORIGIN, await app.peppers)),
          );
        case "/account":
          return showAccount(request, context);
        case "/passkeys.js":
          return passkeyScript();
        case "/sse":
          return sseRetiredResponse(request);
        default:
          return notFoundResponse();
      }
    },
    // A disabled account's or a revoked grant's code exchange and refresh end with invalid_grant.
    tokenExchangeCallback: refuseEndedGrants(app),
    onProviderError: (event) => {
      // A bad bearer token on /mcp is a log line (it can come by the thousand), not an audit row.
      if (event.reason.includes(":protected-resource:")) return;
      app.audit({
        event: "security",
        outcome: "refused",
        address: event.address,
        detail: `${event.path} ${event.reason}`,
      });
    },
    onClientRegistered: (clientId, request) => {
      app.audit({ event: "client_registered", outcome: "ok", clientId, address: clientAddress(request) });
    },
  });
  const endpoint = createMcpEndpoint({ name: "mcp-full-oauth-provider", version: "1.0.0", ...server.origins });
  return { server, app };
});

export default {
  fetch: (request, env, ctx) =>
    withConfig(env, serverFor, ({ server, app }) =>
      // An RFC 7009 revocation at /token is recorded in D1 and audited, as a Revoke is.
      withRevocationRecord(request, env.OAUTH_KV, app, (forwarded) => server.fetch(forwarded, env, ctx)),
    ),
} satisfies ExportedHandler<Env>;

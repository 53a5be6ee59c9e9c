import { GrantType, OAuthError } from "@cloudflare/workers-oauth-provider";
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
import { pepperFromSecret, type Peppers } from "@mcp-auth/auth-common/accounts";
import { authorizationServer } from "@mcp-auth/auth-common/authorization-server";
import { INITIAL_SCOPES, SCOPES, createMcpEndpoint } from "@mcp-auth/mcp-core";
import { durableNotes } from "@mcp-auth/mcp-core/notes-object";
import { waitUntil } from "cloudflare:workers";
import { removePasskeyForm, revokeApp, showAccount, type AccountContext } from "./account.ts";
import { authorizeRoutes } from "./authorize.ts";
import { loadConfig, type Config } from "./config.ts";
import { devSignIn } from "./dev-seed.ts";
import { pageContent } from "./page.ts";
import {
  authenticationOptions,
  authenticationVerify,
  passkeyScript,
  registrationOptions,
  registrationVerify,
  type PasskeyContext,
} from "./passkeys.ts";
import { showLogin, signIn, signOut, type SignInContext } from "./sessions.ts";
import { tokenGrantInForce } from "./account-check.ts";
import { withRevocationRecord } from "./revocation.ts";
import { audit, grantStanding, touchAppUse } from "./users.ts";

export { NotesObject } from "@mcp-auth/mcp-core/notes-object";

const SERVER_NAME = "MCP full-oauth-provider reference server";

/** The current pepper and any previous one, from the secrets (once per configuration). */
async function peppersOf(config: Config): Promise<Peppers> {
  const current = await pepperFromSecret(config.PASSWORD_PEPPER);
  const previous = config.PASSWORD_PEPPER_PREVIOUS;
  return previous === undefined ? { current } : { current, previous: [await pepperFromSecret(previous)] };
}

/** Audit rows are written after the response; a failed write is logged, never the request's failure. */
function defer(work: Promise<unknown>): void {
  waitUntil(
    work.catch((error: unknown) => {
      console.error(
        JSON.stringify({ level: "error", event: "dependency_failed", dependency: "d1", reason: String(error) }),
      );
    }),
  );
}

/** How often one isolate records an app's "last used" (it is shown to the minute or so). */
const APP_USE_WRITE_INTERVAL_MS = 60_000;
const appUseWritten = new Map<string, number>();

/** Records an app's use now and then, not on every request: a D1 write per MCP call would cost. */
function noteAppUse(db: Env["DB"], userId: string, clientId: string | undefined): void {
  if (clientId === undefined) return;
  const key = `${userId}\n${clientId}`;
  const last = appUseWritten.get(key);
  if (last !== undefined && Date.now() - last < APP_USE_WRITE_INTERVAL_MS) return;
  if (appUseWritten.size > 10_000) appUseWritten.clear();
  appUseWritten.set(key, Date.now());
  defer(touchAppUse(db, userId, clientId));
}

/** Built once per configuration: the authorization server, the endpoint, the pepper. */
const serverFor = configLoader((env: Env) => {
  const config = loadConfig(env);
  const peppers = peppersOf(config);
  const signInContext = async (env: Env): Promise<SignInContext> => ({
    db: env.DB,
    publicOrigin: config.PUBLIC_ORIGIN,
    sessionSecret: config.SESSION_SECRET,
    peppers: await peppers,
    addressLimiter: env.SIGN_IN_ADDRESS_LIMITER,
    accountLimiter: env.SIGN_IN_ACCOUNT_LIMITER,
    rateLimitPeriodSeconds: 60,
    defer,
  });
  const passkeyContext = (env: Env): PasskeyContext => ({
    db: env.DB,
    publicOrigin: config.PUBLIC_ORIGIN,
    sessionSecret: config.SESSION_SECRET,
    addressLimiter: env.SIGN_IN_ADDRESS_LIMITER,
    rateLimitPeriodSeconds: 60,
    defer,
  });
  const accountContext = (env: Env, oauth: AccountContext["oauth"]): AccountContext => ({
    oauth,
    db: env.DB,
    publicOrigin: config.PUBLIC_ORIGIN,
    sessionSecret: config.SESSION_SECRET,
    defer,
  });
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
      noteAppUse(env.DB, identity.subject, identity.clientId);
      const answer = await endpoint.fetch(request, {
        authInfo: toAuthInfo(identity, resource.challenge(request)),
        notes: durableNotes(env.NOTES),
        onInsufficientScope: (held, missing) => resource.insufficientScope(request, held, missing),
      });
      return logEndpointAnswer(request, answer, identity);
    },
    pages: async (request, env, oauth) => {
      const routed = await authorizeRoutes(request, {
        oauth,
        db: env.DB,
        publicOrigin: config.PUBLIC_ORIGIN,
        serverName: SERVER_NAME,
        sessionSecret: config.SESSION_SECRET,
        defer,
      });
      if (routed) return routed;
      const { pathname } = new URL(request.url);
      const method = request.method;
      if (pathname === "/login" && method === "GET") return showLogin(request, await signInContext(env));
      if (pathname === "/login" && method === "POST") return signIn(request, await signInContext(env));
      if (pathname === "/logout" && method === "POST") return signOut(request, await signInContext(env));
      if (method === "POST") {
        switch (pathname) {
          case "/login/passkey/options":
            return authenticationOptions(request, passkeyContext(env));
          case "/login/passkey/verify":
            return authenticationVerify(request, passkeyContext(env));
          case "/account/passkeys/options":
            return registrationOptions(request, passkeyContext(env));
          case "/account/passkeys/verify":
            return registrationVerify(request, passkeyContext(env));
          case "/account/passkeys/remove":
            return removePasskeyForm(request, accountContext(env, oauth));
          case "/account/revoke":
            return revokeApp(request, accountContext(env, oauth));
        }
      }
      switch (pathname) {
        case "/":
          return landingPage(
            request,
            pageContent(config, await devSignIn(env.DB, config.PUBLIC_ORIGIN, await peppers)),
          );
        case "/account":
          return showAccount(request, accountContext(env, oauth));
        case "/passkeys.js":
          return passkeyScript();
        case "/sse":
          return sseRetiredResponse(request);
        default:
          return notFoundResponse();
      }
    },
    // Every code exchange and refresh asks D1 whether the account may still sign in and the grant
    // stands: a disabled account's or a revoked grant ends with invalid_grant, even where KV
    // still serves the grant, so its client must start over.
    tokenExchangeCallback: async (options) => {
      if (options.grantType !== GrantType.REFRESH_TOKEN && options.grantType !== GrantType.AUTHORIZATION_CODE) {
        return undefined;
      }
      const standing = await grantStanding(options.env.DB, options.userId, options.grantId);
      if (standing !== "in_force") {
        defer(
          audit(options.env.DB, {
            event: options.grantType === GrantType.REFRESH_TOKEN ? "grant_refreshed" : "grant_exchanged",
            outcome: "refused",
            userId: options.userId,
            clientId: options.clientId,
            grantId: options.grantId,
            detail: standing,
          }),
        );
        throw new OAuthError("invalid_grant", {
          description:
            standing === "grant_revoked"
              ? "This grant was revoked."
              : "The account this grant belongs to cannot sign in.",
          internal: { category: "token-exchange-callback", reason: standing },
        });
      }
      if (options.grantType === GrantType.REFRESH_TOKEN) {
        defer(
          audit(options.env.DB, {
            event: "grant_refreshed",
            outcome: "ok",
            userId: options.userId,
            clientId: options.clientId,
            grantId: options.grantId,
          }),
        );
      }
      return undefined;
    },
    onProviderError: (event, env) => {
      // A bad bearer token on /mcp is a log line (it can come by the thousand), not an audit row.
      if (event.reason.includes(":protected-resource:")) return;
      defer(
        audit(env.DB, {
          event: "security",
          outcome: "refused",
          address: event.address,
          detail: `${event.path} ${event.reason}`,
        }),
      );
    },
    onClientRegistered: (clientId, request, env) => {
      defer(audit(env.DB, { event: "client_registered", outcome: "ok", clientId, address: clientAddress(request) }));
    },
  });
  const endpoint = createMcpEndpoint({ name: "mcp-full-oauth-provider", version: "1.0.0", ...server.origins });
  return server;
});

export default {
  fetch: (request, env, ctx) =>
    withConfig(env, serverFor, (server) =>
      // An RFC 7009 revocation at /token is recorded in D1 and audited, as a Revoke is.
      withRevocationRecord(request, env.OAUTH_KV, env.DB, defer, (forwarded) => server.fetch(forwarded, env, ctx)),
    ),
} satisfies ExportedHandler<Env>;

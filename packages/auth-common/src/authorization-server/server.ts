import {
  OAuthAuthorizationServer,
  type OAuthAuthorizationServerOptions,
  type OAuthHelpers,
  type OAuthProviderOptions,
} from "@cloudflare/workers-oauth-provider";
import type { Identity, Pattern } from "@mcp-auth/identity";
import { adminRouteFor, serveAdmin, type AdminApi } from "../admin.ts";
import { challengeResponse } from "../challenge.ts";
import { cors } from "../cors.ts";
import { AuthError } from "../errors.ts";
import { grantIdOf, identityFromGrant } from "../grant.ts";
import { guardTransport } from "../guard.ts";
import { jsonRpcErrorResponse } from "../json-rpc-error.ts";
import { consoleLog, refusal } from "../log.ts";
import { answerMcp, configuredWorker, type McpHandler } from "../mcp-worker.ts";
import type { OriginPolicy } from "../origin.ts";
import { checkRateLimit, clientAddress, type RateLimiter } from "../rate-limit.ts";
import { resourceServer, type ResourceServer } from "../resource-server.ts";
import { siteRoute, type Routes } from "../routes.ts";
import { sha256Hex } from "../verifier.ts";
import { authorizeQueryRefusal, boundedRequest, fitsTokenKey, tokenRequestRefusal } from "./front-door.ts";
import { INTROSPECTION_PATH, introspect, type IntrospectionEndpointOptions } from "./introspect.ts";
import { refreshOnce, refreshRequestOf, type RefreshLedger, type RefreshReuse } from "./refresh-reuse.ts";
import { registrationPolicy } from "./registration.ts";

/**
 * Our words for library refusals whose own description does not tell the client what to do,
 * by reason (`<code>:<category>:<reason>`); every other description is the library's.
 */
const CLEARER_DESCRIPTIONS: Readonly<Record<string, string>> = {
  // The library says "Grant not found": the grant was revoked (by its user, an operator's CLI, a
  // detected reuse, a replayed code) or has expired. Either way only a new sign-in helps.
  "invalid_grant:refresh-token-grant:grant_not_found":
    "This grant was revoked or has ended; sign in again to authorize this client.",
};

/** The bindings every authorization-server app declares in its wrangler.jsonc. */
export interface AuthorizationServerEnv {
  OAUTH_KV: KVNamespace;
  RATE_LIMITER: RateLimiter;
  REGISTRATION_LIMITER: RateLimiter;
  /** One {@link RefreshLedger} per grant: its refreshes one at a time, and reuse detection. */
  REFRESH_LEDGER: DurableObjectNamespace<RefreshLedger>;
}

/** A security event the library reported through `onError` (never a credential). */
export interface ProviderErrorEvent {
  /** `<code>:<category>:<reason>`, e.g. `invalid_grant:authorization-code-grant:code_replayed`. */
  reason: string;
  status: number;
  path: string;
  address: string;
}

export interface AuthorizationServerOptions<E extends AuthorizationServerEnv> {
  /** The resource name, e.g. "MCP oauth-proxy reference server". */
  serverName: string;
  /** Whose identities the grants make (`oauth-proxy`, `full-oauth-provider`). */
  pattern: Pattern;
  /** The one origin: issuer, resource `<origin>/mcp`, every URL the library prints. */
  publicOrigin: string;
  /**
   * The `Host` and browser `Origin` names /mcp answers: PUBLIC_ORIGIN's hostname (loopback too)
   * and any extra browser origins, `originPolicy([hostname], ALLOWED_ORIGINS)`; give the MCP
   * endpoint the same.
   */
  origins: OriginPolicy;
  rateLimitPeriodSeconds: number;
  /** Every scope a client may be granted. */
  scopes: readonly string[];
  /** What a client starts with (PRM `scopes_supported`, the 401's `scope`); the rest is step-up. */
  initialScopes: readonly string[];
  /**
   * Resources besides this server's own `/mcp` that it issues tokens for (RFC 8707), e.g. another
   * MCP server that checks them here by introspection: canonical URLs, fixed at construction.
   * A client names one with `resource` at /authorize; one that names none gets `/mcp`.
   */
  extraResources?: readonly string[];
  /** Serve RFC 7662 introspection at /introspect to the app's registered resource servers. */
  introspection?: IntrospectionEndpointOptions<E>;
  /** The app's MCP endpoint, called for a caller the provider authenticated (and `admit` let in). */
  mcp: McpHandler<E>;
  /** Operator routes behind their own secret (the notes admin route); absent or no secret: none. */
  admin?: AdminApi<E>;
  /**
   * Checks that need the app's own state (a disabled user, a revoked grant or token), run before
   * every MCP request; throw {@link AuthError} to refuse (the usual challenge follows).
   */
  admit?: (env: E, caller: AdmittedCaller) => Promise<void>;
  /**
   * Everything that is not /mcp, the metadata or the library's endpoints: /authorize, sign-in,
   * pages. `/sse` and 404 follow the table.
   */
  routes: Routes<PageContext<E>>;
  /**
   * Wraps the whole server: sees every request before it and its final answer after, for an app
   * that must see both together (e.g. to record a revocation the library carried out).
   */
  around?: (request: Request, env: E, next: (request: Request) => Promise<Response>) => Promise<Response>;
  tokenExchangeCallback?: OAuthProviderOptions<E>["tokenExchangeCallback"];
  /** Enterprise-managed authorization (ID-JAG jwt-bearer grant at /token), passed to the library as is. */
  enterpriseManagedAuthorization?: OAuthProviderOptions<E>["enterpriseManagedAuthorization"];
  /** Called after the log line for each security event the library reports. */
  onProviderError?: (event: ProviderErrorEvent, env: E) => void;
  /**
   * A refresh token was reused (RFC 9700 §4.14.2), after the grant and all its tokens were
   * revoked and the `refresh_reuse_detected` line logged: e.g. to record the revocation.
   */
  onRefreshReuse?: (env: E, reuse: RefreshReuse) => void | Promise<void>;
  /** A client registered (dynamic registration), after the policy accepted it. */
  onClientRegistered?: (clientId: string, request: Request, env: E) => void;
}

/** Who an MCP request comes from, for {@link AuthorizationServerOptions.admit}. */
export interface AdmittedCaller {
  identity: Identity;
  /** The grant of the token ({@link grantIdOf}); `undefined` when the token is not the library's shape. */
  grantId: string | undefined;
  /** SHA-256 (hex) of the access token, as a revocation list keeps it; never the token. */
  tokenHash: string;
}

/** What the app's routes get: its env, the library's helpers, the execution context. */
export interface PageContext<E> {
  env: E;
  oauth: OAuthHelpers;
  ctx: ExecutionContext;
}

export interface AuthorizationServer<E extends AuthorizationServerEnv> {
  readonly resource: ResourceServer;
  /** Every resource tokens are issued for: this server's `/mcp` first, then the extra ones. */
  readonly resources: readonly string[];
  readonly origins: OriginPolicy;
  fetch(request: Request, env: E, ctx: ExecutionContext): Promise<Response>;
}

/** The platform's fetch (this module's own `fetch` is the server's). */
const platformFetch: typeof fetch = (input, init) => globalThis.fetch(input, init);

/** Which endpoint an `onError` category comes from (the library names subsystems, not paths). */
function endpointOf(category: string): string {
  if (category === "client-registration") return "/register";
  if (category === "protected-resource") return "/mcp";
  return "/token";
}

/** Carries a security event from `onError` to the response wrapper; never sent to a client. */
const EVENT_HEADER = "x-mcp-auth-provider-event";

/** Paths a browser-based MCP client calls cross-origin. */
const OAUTH_API_PATHS = new Set(["/token", "/register", "/.well-known/oauth-authorization-server"]);

/** The library's access tokens, `userId:grantId:secret`, in the header the way it reads them. */
const BEARER = /^Bearer[\t ]+([^\s,]+)$/i;

/**
 * The authorization server both OAuth apps run, in one place: the library's
 * `OAuthAuthorizationServer` (1.2.3) on `OAUTH_KV` with PKCE, exact redirect URIs, CIMD, the
 * registration policy, `notes:read` first and step-up, for `/mcp` and any extra resources; `/mcp`
 * itself, its tokens checked with the library's `validateToken`; optionally RFC 7662
 * introspection; and in front of it, the host pin to PUBLIC_ORIGIN, the transport guard, CORS for
 * browser clients on `/token` and `/register`, and the per-address registration limit.
 *
 * The apps differ only in `pages` (how a person signs in and consents) and in what a grant's
 * refresh must check (`tokenExchangeCallback`).
 */
export function authorizationServer<E extends AuthorizationServerEnv>(
  options: AuthorizationServerOptions<E>,
): AuthorizationServer<E> {
  const publicUrl = new URL(options.publicOrigin);
  const { origins } = options;
  if (!origins.allowedHostnames.includes(publicUrl.hostname)) {
    throw new Error("authorizationServer: origins must allow PUBLIC_ORIGIN's hostname");
  }
  const resource = resourceServer({
    publicOrigin: options.publicOrigin,
    authorizationServers: [options.publicOrigin],
    // PRM `scopes_supported` is the baseline a client asks for first; the rest is a step-up.
    scopesSupported: options.initialScopes,
    resourceName: options.serverName,
  });
  const mcpCors = cors({ origins });
  // Browser-based clients call these from their own origin; no cookies are involved.
  const oauthCors = cors({ origins: "any", methods: ["GET", "POST", "OPTIONS"] });
  /**
   * The provider's answer with the security event `onError` tagged it with taken off and
   * reported with this request's env (the library passes `onError` no env, and its request
   * only for some errors).
   */
  function reported(answer: Response, request: Request, env: E): Response {
    const tag = answer.headers.get(EVENT_HEADER);
    if (tag === null) return answer;
    const untagged = new Response(answer.body, answer);
    untagged.headers.delete(EVENT_HEADER);
    options.onProviderError?.(
      { reason: tag, status: answer.status, path: new URL(request.url).pathname, address: clientAddress(request) },
      env,
    );
    return untagged;
  }

  const ownResource = resource.resource(new Request(options.publicOrigin));
  const resources = [ownResource, ...(options.extraResources ?? [])];
  if (new Set(resources).size !== resources.length) {
    throw new Error("authorizationServer: extraResources must be distinct and not this server's /mcp");
  }

  /** `admit` in the shape both /mcp and /introspect ask it. */
  const admit =
    options.admit === undefined
      ? undefined
      : async (env: E, identity: Identity, grantId: string | undefined, tokenHash: string) =>
          options.admit?.(env, { identity, grantId, tokenHash });

  /**
   * /mcp: the bearer token checked by the library for this server's own resource (a token for an
   * extra resource is refused here: its audience is another server), then `admit`, then the app.
   */
  async function serveMcp(request: Request, env: E): Promise<Response> {
    // A loopback alias of this server (127.0.0.1 for localhost) is not the resource its tokens
    // name: no token is good there, and its 401 carries no `resource_metadata` (RFC 9728 §3.3: the
    // only metadata names PUBLIC_ORIGIN, which a client must refuse for another URL).
    const canonical = new URL(request.url).origin === publicUrl.origin;
    const challenge = canonical ? resource.challenge(request) : { scope: options.initialScopes };
    try {
      const token = BEARER.exec(request.headers.get("authorization") ?? "")?.[1];
      if (token === undefined) {
        throw new AuthError(
          "missing_credentials",
          "This MCP server needs an OAuth access token (Authorization: Bearer).",
        );
      }
      // A token the library would look up under a key longer than KV allows was never issued.
      if (!fitsTokenKey(token)) {
        throw new AuthError("invalid_token", "The access token is longer than any this server issues.");
      }
      if (!canonical) {
        throw new AuthError("invalid_token", `The access token is for ${ownResource}; call that URL, not this one.`);
      }
      let validated;
      try {
        validated = await authServer.validateToken(ownResource, token, env);
      } catch (cause) {
        throw new AuthError("temporarily_unavailable", "The token store is unavailable right now.", {
          cause,
          retryAfterSeconds: 30,
        });
      }
      if (validated === null) {
        throw new AuthError(
          "invalid_token",
          "The access token is unknown, expired or revoked, or was issued for another resource.",
        );
      }
      const identity = identityFromGrant(validated, validated.props, options.pattern);
      await admit?.(env, identity, grantIdOf(token), await sha256Hex(token));
      return await answerMcp(request, env, identity, resource, options.mcp);
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      const answer = challengeResponse(error, challenge);
      const reason = error.code === "missing_credentials" ? "missing_token" : error.code;
      consoleLog(error.code === "temporarily_unavailable" ? "error" : "warn", refusal(request, answer.status, reason));
      return answer;
    }
  }

  const serverOptions: OAuthAuthorizationServerOptions<E> = {
    issuer: options.publicOrigin,
    resources,
    // A client that names no resource (older ones) is asking for this server's own /mcp.
    defaultResource: ownResource,
    authorizeEndpoint: "/authorize",
    tokenEndpoint: "/token",
    clientRegistrationEndpoint: "/register",
    scopesSupported: [...options.scopes],
    clientIdMetadataDocumentEnabled: true,
    clientRegistrationCallback: registrationPolicy,
    ...(options.tokenExchangeCallback === undefined ? {} : { tokenExchangeCallback: options.tokenExchangeCallback }),
    ...(options.enterpriseManagedAuthorization === undefined
      ? {}
      : { enterpriseManagedAuthorization: options.enterpriseManagedAuthorization }),
    onError: ({ code, description, status, headers, internal, request }) => {
      // The stable reason, never the description's inputs or a credential. The library passes
      // the request only for some errors; the category says which endpoint answered.
      const reason = `${code}:${internal.category}:${internal.reason}`;
      consoleLog("warn", {
        event: "request_refused",
        reason,
        status,
        method: request?.method ?? "POST",
        path: request === undefined ? endpointOf(internal.category) : new URL(request.url).pathname,
        address: request === undefined ? "" : clientAddress(request),
      });
      // The library's own answer, tagged so that `reported` can pass the event on with the env
      // (and a refresh's reuse check can read why the library refused it).
      return Response.json(
        { error: code, error_description: CLEARER_DESCRIPTIONS[reason] ?? description },
        { status, headers: { ...headers, [EVENT_HEADER]: reason } },
      );
    },
  };
  const authServer = new OAuthAuthorizationServer<E>(serverOptions);

  async function registerClient(request: Request, env: E, ctx: ExecutionContext): Promise<Response> {
    const answer = await authServer.fetch(request, env, ctx);
    if (answer.status === 201 && options.onClientRegistered !== undefined) {
      const { client_id: clientId } = await answer.clone().json<{ client_id: string }>();
      options.onClientRegistered(clientId, request, env);
    }
    return answer;
  }

  async function fetch(request: Request, env: E, ctx: ExecutionContext): Promise<Response> {
    const next = async (forwarded: Request) => reported(await route(forwarded, env, ctx), forwarded, env);
    return options.around === undefined ? next(request) : options.around(request, env, next);
  }

  async function route(request: Request, env: E, ctx: ExecutionContext): Promise<Response> {
    const { pathname } = new URL(request.url);
    const isMcp = pathname === "/mcp" || pathname.startsWith("/mcp/");
    // Everything but the MCP endpoint answers only on PUBLIC_ORIGIN's host: the library derives
    // the issuer and every URL it prints from the request. /mcp also takes loopback aliases, where
    // the provider refuses a token minted for PUBLIC_ORIGIN (401, audience).
    if (!isMcp && request.headers.get("host") !== publicUrl.host) {
      consoleLog("warn", refusal(request, 403, "host_not_allowed"));
      return jsonRpcErrorResponse(403, `Forbidden: this server answers on ${options.publicOrigin} only`);
    }
    const addressLimit = { limiter: env.RATE_LIMITER, periodSeconds: options.rateLimitPeriodSeconds };
    // A resource server asks /introspect from one address for all its users: it is limited per
    // caller once authenticated, and by address only when its authentication fails.
    const introspection = pathname === INTROSPECTION_PATH ? options.introspection : undefined;
    // The admin routes get /mcp's Origin rule (no CORS: a browser page never calls them), and like
    // /introspect spend the address's budget only when their authentication fails: an operator's
    // move of many tenants is not cut short by the per-address limit.
    const adminRoute = adminRouteFor(options.admin, request);
    const refused = await guardTransport(request, {
      origins,
      checkOrigin: isMcp || adminRoute !== undefined,
      rateLimit: introspection === undefined && adminRoute === undefined ? addressLimit : undefined,
    });
    if (refused) return refused;
    if (options.admin?.secret !== undefined && adminRoute !== undefined) {
      return serveAdmin(request, env, { ...options.admin, secret: options.admin.secret }, adminRoute, addressLimit);
    }
    if (isMcp) {
      const preflight = mcpCors.preflight(request);
      if (preflight) return preflight;
      return mcpCors.apply(request, await serveMcp(request, env));
    }
    const metadata = resource.metadataResponse(request);
    if (metadata) return metadata;
    if (introspection !== undefined) {
      const bounded = await boundedRequest(request, true);
      if (bounded instanceof Response) return bounded;
      return introspect(bounded, introspection, {
        addressLimit,
        env,
        oauth: authServer.getOAuthApi(env),
        issuer: options.publicOrigin,
        pattern: options.pattern,
        resources,
        admit:
          admit === undefined ? undefined : (identity, grantId, tokenHash) => admit(env, identity, grantId, tokenHash),
      });
    }
    if (OAUTH_API_PATHS.has(pathname)) {
      const preflight = oauthCors.preflight(request);
      if (preflight) return preflight;
      return oauthCors.apply(request, await oauthApi(request, env, ctx, pathname));
    }
    // Every page's body is read bounded here, before the page (or the library) reads it.
    const bounded = await boundedRequest(request, false);
    if (bounded instanceof Response) return bounded;
    if (pathname === "/authorize") {
      const refusedQuery = await authorizeQueryRefusal(bounded, platformFetch);
      if (refusedQuery) return refusedQuery;
    }
    return siteRoute(bounded, options.routes, { env, oauth: authServer.getOAuthApi(env), ctx });
  }

  /** /token (and revocation), /register and the AS metadata: bounded, identifiers checked, then the library. */
  async function oauthApi(request: Request, env: E, ctx: ExecutionContext, pathname: string): Promise<Response> {
    if (request.method === "POST" && pathname === "/register") {
      // Limited before the body is read: a registration flood costs one counter each.
      const limited = await checkRateLimit(env.REGISTRATION_LIMITER, clientAddress(request), 60);
      if (limited) {
        consoleLog("warn", refusal(request, 429, "registration_rate_limited"));
        return limited;
      }
    }
    const bounded = await boundedRequest(request, true);
    if (bounded instanceof Response) return bounded;
    if (pathname === "/token") {
      const refusedToken = await tokenRequestRefusal(bounded, platformFetch);
      if (refusedToken) return refusedToken;
    }
    if (pathname === "/register" && request.method === "POST") return registerClient(bounded, env, ctx);
    if (pathname === "/.well-known/oauth-authorization-server") {
      return withIntrospectionEndpoint(await authServer.fetch(bounded, env, ctx));
    }
    const refresh = pathname === "/token" ? await refreshRequestOf(bounded) : undefined;
    if (refresh === undefined) return authServer.fetch(bounded, env, ctx);
    const grantKey = `grant:${refresh.userId}:${refresh.grantId}`;
    return refreshOnce(bounded, refresh, {
      ledgers: env.REFRESH_LEDGER,
      library: (forwarded) => authServer.fetch(forwarded, env, ctx),
      reasonOf: (answer) => answer.headers.get(EVENT_HEADER),
      // The library's documented KV layout: `grant:{userId}:{grantId}` holds the grant's client.
      clientOf: async () => {
        const grant = await env.OAUTH_KV.get<{ clientId?: unknown }>(grantKey, "json");
        return typeof grant?.clientId === "string" ? grant.clientId : undefined;
      },
      revokeGrant: ({ userId, grantId }) => authServer.getOAuthApi(env).revokeGrant(grantId, userId),
      onReuse: options.onRefreshReuse === undefined ? undefined : (reuse) => options.onRefreshReuse?.(env, reuse),
    });
  }

  /** RFC 8414 metadata with `introspection_endpoint` (RFC 7662 §4) when introspection is served. */
  async function withIntrospectionEndpoint(answer: Response): Promise<Response> {
    if (options.introspection === undefined || answer.status !== 200 || answer.body === null) return answer;
    const metadata = await answer.json<Record<string, unknown>>();
    return Response.json(
      {
        ...metadata,
        introspection_endpoint: new URL(INTROSPECTION_PATH, options.publicOrigin).href,
        introspection_endpoint_auth_methods_supported: ["client_secret_basic"],
      },
      { headers: answer.headers },
    );
  }

  return { resource, resources, origins, fetch };
}

/**
 * The Worker of an OAuth app: its authorization server built once per configuration from
 * `build(env)` (which throws `ConfigError` while the configuration is invalid: then every
 * request gets `configErrorResponse`).
 */
export function authorizationServerWorker<E extends AuthorizationServerEnv>(
  build: (env: E) => AuthorizationServerOptions<E>,
): { fetch: (request: Request, env: E, ctx: ExecutionContext) => Promise<Response> } {
  return configuredWorker<E, AuthorizationServer<E>, ExecutionContext>(
    (env: E) => authorizationServer(build(env)),
    (server, request, env, ctx) => server.fetch(request, env, ctx),
  );
}

import {
  OAuthProvider,
  getOAuthApi,
  type OAuthHelpers,
  type OAuthProviderOptions,
  type OAuthResourceAuth,
} from "@cloudflare/workers-oauth-provider";
import type { Identity, Pattern } from "@mcp-auth/identity";
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
import { refreshOnce, refreshRequestOf, type RefreshLedger, type RefreshReuse } from "./refresh-reuse.ts";
import { registrationPolicy } from "./registration.ts";

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
  /** The app's MCP endpoint, called for a caller the provider authenticated (and `admit` let in). */
  mcp: McpHandler<E>;
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

type ApiContext = ExecutionContext & { props: unknown; auth: OAuthResourceAuth };
type ProviderEnv<E> = E & { OAUTH_PROVIDER: OAuthHelpers };

/**
 * The authorization server both OAuth apps run, in one place: `OAuthProvider` 1.2.3 on
 * `OAUTH_KV` with PKCE, exact redirect URIs, CIMD, the registration policy, `notes:read` first
 * and step-up; and in front of it, the host pin to PUBLIC_ORIGIN, the transport guard, CORS for
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

  async function serveMcp(request: Request, env: E, ctx: ApiContext): Promise<Response> {
    try {
      const identity = identityFromGrant(ctx.auth, ctx.props, options.pattern);
      if (options.admit !== undefined) {
        const token = ctx.auth.token;
        await options.admit(env, { identity, grantId: grantIdOf(token), tokenHash: await sha256Hex(token) });
      }
      return await answerMcp(request, env, identity, resource, options.mcp);
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      const answer = challengeResponse(error, resource.challenge(request));
      consoleLog("warn", refusal(request, answer.status, error.code));
      return answer;
    }
  }

  const providerOptions: OAuthProviderOptions<E> = {
    apiRoute: "/mcp",
    apiHandler: { fetch: (request, env, ctx) => serveMcp(request, env, ctx as ApiContext) },
    defaultHandler: {
      fetch: (request, env, ctx) =>
        siteRoute(request, options.routes, { env, oauth: (env as ProviderEnv<E>).OAUTH_PROVIDER, ctx }),
    },
    authorizeEndpoint: "/authorize",
    tokenEndpoint: "/token",
    clientRegistrationEndpoint: "/register",
    scopesSupported: [...options.scopes],
    requiredScopes: [...options.initialScopes],
    resourceMetadata: {
      resource: resource.resource(new Request(options.publicOrigin)),
      authorization_servers: [options.publicOrigin],
      bearer_methods_supported: ["header"],
      resource_name: options.serverName,
    },
    clientIdMetadataDocumentEnabled: true,
    clientRegistrationCallback: registrationPolicy,
    ...(options.tokenExchangeCallback === undefined ? {} : { tokenExchangeCallback: options.tokenExchangeCallback }),
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
        { error: code, error_description: description },
        { status, headers: { ...headers, [EVENT_HEADER]: reason } },
      );
    },
  };
  const provider = new OAuthProvider<E>(providerOptions);

  async function registerClient(request: Request, env: E, ctx: ExecutionContext): Promise<Response> {
    const answer = await provider.fetch(request, env, ctx);
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
    const refused = await guardTransport(request, {
      origins,
      checkOrigin: isMcp,
      rateLimit: { limiter: env.RATE_LIMITER, periodSeconds: options.rateLimitPeriodSeconds },
    });
    if (refused) return refused;
    if (isMcp) {
      const preflight = mcpCors.preflight(request);
      if (preflight) return preflight;
      const overlong = overlongBearer(request);
      if (overlong) return mcpCors.apply(request, overlong);
      const answer = await provider.fetch(request, env, ctx);
      // The provider answers a missing or unknown token itself; the operator still sees it.
      if (answer.status === 401) {
        consoleLog(
          "warn",
          refusal(request, 401, request.headers.has("authorization") ? "invalid_token" : "missing_token"),
        );
      }
      return mcpCors.apply(request, answer);
    }
    const metadata = resource.metadataResponse(request);
    if (metadata) return metadata;
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
    return provider.fetch(bounded, env, ctx);
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
    const refresh = pathname === "/token" ? await refreshRequestOf(bounded) : undefined;
    if (refresh === undefined) return provider.fetch(bounded, env, ctx);
    const grantKey = `grant:${refresh.userId}:${refresh.grantId}`;
    return refreshOnce(bounded, refresh, {
      ledgers: env.REFRESH_LEDGER,
      library: (forwarded) => provider.fetch(forwarded, env, ctx),
      reasonOf: (answer) => answer.headers.get(EVENT_HEADER),
      // The library's documented KV layout: `grant:{userId}:{grantId}` holds the grant's client.
      clientOf: async () => {
        const grant = await env.OAUTH_KV.get<{ clientId?: unknown }>(grantKey, "json");
        return typeof grant?.clientId === "string" ? grant.clientId : undefined;
      },
      revokeGrant: ({ userId, grantId }) => getOAuthApi(providerOptions, env).revokeGrant(grantId, userId),
      onReuse: options.onRefreshReuse === undefined ? undefined : (reuse) => options.onRefreshReuse?.(env, reuse),
    });
  }

  /**
   * A bearer token the library would look up under a key longer than KV allows (it would throw,
   * a 500): no such token was issued, so 401 `invalid_token` with the usual challenge.
   */
  function overlongBearer(request: Request): Response | undefined {
    const bearer = /^Bearer[\t ]+([^\s,]+)$/i.exec(request.headers.get("authorization") ?? "");
    if (bearer?.[1] === undefined || fitsTokenKey(bearer[1])) return undefined;
    consoleLog("warn", refusal(request, 401, "invalid_token"));
    return challengeResponse(
      new AuthError("invalid_token", "The access token is longer than any this server issues."),
      resource.challenge(request),
    );
  }

  return { resource, origins, fetch };
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

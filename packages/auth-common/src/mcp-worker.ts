// How a request becomes an identity, a challenge and a log line around the app's MCP endpoint,
// decided once for every app: the resource-server apps through `resourceServerWorker`, the OAuth
// apps through `authorizationServer` (./authorization-server). The endpoint itself is mcp-core's;
// auth-common only knows its shape (`McpHandler`), so neither package imports the other.
import { toAuthInfo, type Identity } from "@mcp-auth/identity";
import type { AuthInfo } from "@modelcontextprotocol/server";
import { adminRouteFor, serveAdmin, type AdminApi } from "./admin.ts";
import type { ChallengeOptions } from "./challenge.ts";
import { cors } from "./cors.ts";
import { configLoader, withConfig } from "./env.ts";
import { guardTransport } from "./guard.ts";
import { logEndpointAnswer } from "./log.ts";
import { checkHost, type OriginPolicy } from "./origin.ts";
import type { RateLimiter } from "./rate-limit.ts";
import type { ResourceServer } from "./resource-server.ts";
import { siteRoute, type Routes } from "./routes.ts";

/** What auth-common hands the MCP endpoint for one authenticated request (mcp-core's `McpCall` less storage). */
export interface McpCallAuth {
  /** The caller's identity, packed by `toAuthInfo` (never the credential). */
  authInfo: AuthInfo;
  /** The 403 step-up for a tool whose scopes the caller lacks, or `undefined` (a tool error) where there is none. */
  onInsufficientScope: (held: readonly string[], missing: readonly string[]) => Response | undefined;
}

/** The app's MCP endpoint: typically `(request, env, call) => endpoint.fetch(request, { ...call, notes })`. */
export type McpHandler<E> = (request: Request, env: E, call: McpCallAuth) => Promise<Response>;

/**
 * Calls the app's endpoint for a caller proven as `identity`: its `authInfo` with this request's
 * challenge, the step-up answer of `resource`, and a log line naming the caller when the endpoint
 * refuses.
 */
export async function answerMcp<E>(
  request: Request,
  env: E,
  identity: Identity,
  resource: ResourceServer,
  mcp: McpHandler<E>,
): Promise<Response> {
  const answer = await mcp(request, env, {
    authInfo: toAuthInfo(identity, resource.challenge(request)),
    onInsufficientScope: (held, missing) => resource.insufficientScope(request, held, missing),
  });
  return logEndpointAnswer(request, answer, identity);
}

/**
 * Builds the Worker's parts once per `env` (one parse per isolate) and serves with them, or
 * answers `configErrorResponse` while the configuration is invalid (`build` threw `ConfigError`).
 */
export function configuredWorker<E extends object, W, Ctx = unknown>(
  build: (env: E) => W,
  serve: (wiring: W, request: Request, env: E, ctx: Ctx) => Promise<Response>,
): { fetch: (request: Request, env: E, ctx: Ctx) => Promise<Response> } {
  const wiringFor = configLoader(build);
  return { fetch: (request, env, ctx) => withConfig(env, wiringFor, (wiring) => serve(wiring, request, env, ctx)) };
}

/** The bindings every resource-server app declares in its wrangler.jsonc. */
export interface ResourceServerEnv {
  RATE_LIMITER: RateLimiter;
}

/** What a resource-server app (no-auth, token-validation) is made of; built once per configuration. */
export interface ResourceServerApp<E> {
  /** The `Host` and browser `Origin` names served; give the endpoint the same. */
  origins: OriginPolicy;
  rateLimitPeriodSeconds: number;
  /** Metadata, challenges and step-up; one that names no authorization server publishes none. */
  resource: ResourceServer;
  /** The caller of an MCP request, or the answer refusing it (with `challenge`). */
  authenticate: (request: Request, challenge: ChallengeOptions) => Promise<Identity | Response>;
  mcp: McpHandler<E>;
  /** Everything but `/mcp` and the metadata: the landing page and the app's own routes. */
  routes: Routes<E>;
  /** Operator routes behind their own secret (the notes admin route); absent or no secret: none. */
  admin?: AdminApi<E>;
}

/**
 * A Worker that serves MCP as an OAuth protected resource of someone else's authorization server
 * (or none). Every route: the `Host` pin (pages and metadata build URLs from the request's
 * origin), then the RFC 9728 metadata, `/mcp`, the admin routes (only while their secret is set),
 * the app's routes, `/sse` and 404. On `/mcp`: the
 * transport guard with the rate limit, the CORS preflight (before authentication: it never
 * carries credentials), authentication, the endpoint; every answer, errors included, readable by
 * an allowed browser origin.
 */
export function resourceServerWorker<E extends ResourceServerEnv>(
  build: (env: E) => ResourceServerApp<E>,
): { fetch: (request: Request, env: E, ctx?: unknown) => Promise<Response> } {
  const withCors = configLoader((app: ResourceServerApp<E>) => cors({ origins: app.origins }));
  async function serveMcp(app: ResourceServerApp<E>, request: Request, env: E): Promise<Response> {
    const refused = await guardTransport(request, {
      origins: app.origins,
      rateLimit: { limiter: env.RATE_LIMITER, periodSeconds: app.rateLimitPeriodSeconds },
    });
    if (refused) return refused;
    const preflight = withCors(app).preflight(request);
    if (preflight) return preflight;
    const identity = await app.authenticate(request, app.resource.challenge(request));
    if (identity instanceof Response) return identity;
    return answerMcp(request, env, identity, app.resource, app.mcp);
  }
  return configuredWorker<E, ResourceServerApp<E>>(build, async (app, request, env) => {
    const foreign = checkHost(request, app.origins);
    if (foreign) return foreign;
    const metadata = app.resource.metadataResponse(request);
    if (metadata) return metadata;
    if (new URL(request.url).pathname === "/mcp") {
      return withCors(app).apply(request, await serveMcp(app, request, env));
    }
    const adminRoute = adminRouteFor(app.admin, request);
    if (app.admin?.secret !== undefined && adminRoute !== undefined) {
      // The same Origin rule as /mcp (no CORS here: a browser page never calls it); the address
      // budget is spent by failed attempts only, so an operator's bulk move is not limited.
      const refused = await guardTransport(request, { origins: app.origins });
      if (refused) return refused;
      const addressLimit = { limiter: env.RATE_LIMITER, periodSeconds: app.rateLimitPeriodSeconds };
      return serveAdmin(request, env, { ...app.admin, secret: app.admin.secret }, adminRoute, addressLimit);
    }
    return siteRoute(request, app.routes, env);
  });
}

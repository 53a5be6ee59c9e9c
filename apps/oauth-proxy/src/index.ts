import { OAuthProvider, type OAuthHelpers, type OAuthResourceAuth } from "@cloudflare/workers-oauth-provider";
import {
  AuthError,
  challengeResponse,
  checkRateLimit,
  clientAddress,
  configLoader,
  consoleLog,
  cors,
  guardTransport,
  identityFromGrant,
  jsonRpcErrorResponse,
  landingPage,
  logEndpointAnswer,
  notFoundResponse,
  originPolicy,
  refusal,
  resourceServer,
  sseRetiredResponse,
  toAuthInfo,
  withConfig,
} from "@mcp-auth/auth-common";
import { SCOPES, createMcpEndpoint } from "@mcp-auth/mcp-core";
import { durableNotes } from "@mcp-auth/mcp-core/notes-object";
import { INITIAL_SCOPES, authorizeRoutes } from "./authorize.ts";
import { loadConfig } from "./config.ts";
import { pageContent, upstreamName } from "./page.ts";
import { registrationPolicy, registrationTooLarge } from "./registration.ts";
import { refreshUpstream } from "./refresh.ts";
import { buildUpstream } from "./upstream.ts";

export { NotesObject } from "@mcp-auth/mcp-core/notes-object";

type ProviderEnv = Env & { OAUTH_PROVIDER: OAuthHelpers };
type ApiContext = ExecutionContext & { props: unknown; auth: OAuthResourceAuth };

const SERVER_NAME = "MCP oauth-proxy reference server";

/** Built once per configuration: the provider, the upstream client, the endpoint, the policies. */
const wiringFor = configLoader((env: Env) => {
  const config = loadConfig(env);
  const publicUrl = new URL(config.PUBLIC_ORIGIN);
  const origins = originPolicy([publicUrl.hostname], config.ALLOWED_ORIGINS);
  const upstream = buildUpstream(config);
  const resource = resourceServer({
    publicOrigin: config.PUBLIC_ORIGIN,
    authorizationServers: [config.PUBLIC_ORIGIN],
    // PRM `scopes_supported` is the baseline a client asks for first; notes:write is a step-up.
    scopesSupported: INITIAL_SCOPES,
    resourceName: SERVER_NAME,
  });
  const endpoint = createMcpEndpoint({ name: "mcp-oauth-proxy", version: "1.0.0", ...origins });

  async function serveMcp(request: Request, env: Env, ctx: ApiContext): Promise<Response> {
    const challenge = resource.challenge(request);
    let identity;
    try {
      identity = identityFromGrant(ctx.auth, ctx.props, "oauth-proxy");
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      consoleLog("warn", refusal(request, 401, error.code));
      return challengeResponse(error, challenge);
    }
    const answer = await endpoint.fetch(request, {
      authInfo: toAuthInfo(identity, challenge),
      notes: durableNotes(env.NOTES),
      onInsufficientScope: (held, missing) => resource.insufficientScope(request, held, missing),
    });
    return logEndpointAnswer(request, answer, identity);
  }

  const provider = new OAuthProvider<Env>({
    apiRoute: "/mcp",
    apiHandler: { fetch: (request, env, ctx) => serveMcp(request, env, ctx as ApiContext) },
    defaultHandler: {
      fetch: async (request, env) => {
        const routed = await authorizeRoutes(request, {
          oauth: (env as ProviderEnv).OAUTH_PROVIDER,
          upstream,
          publicOrigin: config.PUBLIC_ORIGIN,
          serverName: SERVER_NAME,
          upstreamName: upstreamName(config),
        });
        if (routed) return routed;
        switch (new URL(request.url).pathname) {
          case "/":
            return landingPage(request, pageContent(config));
          case "/sse":
            return sseRetiredResponse(request);
          default:
            return notFoundResponse();
        }
      },
    },
    authorizeEndpoint: "/authorize",
    tokenEndpoint: "/token",
    clientRegistrationEndpoint: "/register",
    scopesSupported: [...SCOPES],
    requiredScopes: [...INITIAL_SCOPES],
    resourceMetadata: {
      resource: resource.resource(new Request(config.PUBLIC_ORIGIN)),
      authorization_servers: [config.PUBLIC_ORIGIN],
      bearer_methods_supported: ["header"],
      resource_name: SERVER_NAME,
    },
    clientIdMetadataDocumentEnabled: true,
    clientRegistrationCallback: registrationPolicy,
    tokenExchangeCallback: (options) => refreshUpstream(options, upstream),
    onError: ({ code, status, internal, request }) => {
      // The stable reason, never the description's inputs or a credential. The library passes
      // the request only for some errors; the category says which endpoint answered.
      consoleLog("warn", {
        event: "request_refused",
        reason: `${code}:${internal.category}:${internal.reason}`,
        status,
        method: request?.method ?? "POST",
        path: request === undefined ? endpointOf(internal.category) : new URL(request.url).pathname,
        address: request === undefined ? "" : clientAddress(request),
      });
    },
  });

  return {
    config,
    origins,
    resource,
    provider,
    mcpCors: cors({ origins }),
    // Browser-based clients call these from their own origin; no cookies are involved.
    oauthCors: cors({ origins: "any", methods: ["GET", "POST", "OPTIONS"] }),
  };
});
type Wiring = ReturnType<typeof wiringFor>;

/** Which endpoint an `onError` category comes from (the library names subsystems, not paths). */
function endpointOf(category: string): string {
  if (category === "client-registration") return "/register";
  if (category === "protected-resource") return "/mcp";
  return "/token";
}

/** Paths a browser-based MCP client calls cross-origin. */
const OAUTH_API_PATHS = new Set(["/token", "/register", "/.well-known/oauth-authorization-server"]);

async function route(request: Request, env: Env, ctx: ExecutionContext, wiring: Wiring): Promise<Response> {
  const { config, origins, resource, provider } = wiring;
  const { pathname } = new URL(request.url);
  const isMcp = pathname === "/mcp" || pathname.startsWith("/mcp/");
  // Everything but the MCP endpoint answers only on PUBLIC_ORIGIN's host: the library derives
  // the issuer and every URL it prints from the request. /mcp also takes loopback aliases, where
  // the provider refuses a token minted for PUBLIC_ORIGIN (401, audience).
  if (!isMcp && request.headers.get("host") !== new URL(config.PUBLIC_ORIGIN).host) {
    consoleLog("warn", refusal(request, 403, "host_not_allowed"));
    return jsonRpcErrorResponse(403, `Forbidden: this server answers on ${config.PUBLIC_ORIGIN} only`);
  }
  const refused = await guardTransport(request, {
    origins,
    checkOrigin: isMcp,
    rateLimit: { limiter: env.RATE_LIMITER, periodSeconds: config.RATE_LIMIT_PERIOD_SECONDS },
  });
  if (refused) return refused;
  if (isMcp) {
    const preflight = wiring.mcpCors.preflight(request);
    if (preflight) return preflight;
    const answer = await provider.fetch(request, env, ctx);
    // The provider answers a missing or unknown token itself; the operator still sees it.
    if (answer.status === 401) {
      consoleLog(
        "warn",
        refusal(request, 401, request.headers.has("authorization") ? "invalid_token" : "missing_token"),
      );
    }
    return wiring.mcpCors.apply(request, answer);
  }
  const metadata = resource.metadataResponse(request);
  if (metadata) return metadata;
  if (OAUTH_API_PATHS.has(pathname)) {
    const preflight = wiring.oauthCors.preflight(request);
    if (preflight) return preflight;
    if (pathname === "/register" && request.method === "POST") {
      const limited = await checkRateLimit(env.REGISTRATION_LIMITER, clientAddress(request), 60);
      if (limited) {
        consoleLog("warn", refusal(request, 429, "registration_rate_limited"));
        return wiring.oauthCors.apply(request, limited);
      }
      const tooLarge = registrationTooLarge(request);
      if (tooLarge) {
        consoleLog("warn", refusal(request, tooLarge.status, "registration_too_large"));
        return wiring.oauthCors.apply(request, tooLarge);
      }
    }
    return wiring.oauthCors.apply(request, await provider.fetch(request, env, ctx));
  }
  return provider.fetch(request, env, ctx);
}

export default {
  fetch: (request, env, ctx) => withConfig(env, wiringFor, (wiring) => route(request, env, ctx, wiring)),
} satisfies ExportedHandler<Env>;

import {
  AuthError,
  challengeResponse,
  configLoader,
  createAuthenticator,
  guardRequest,
  landingPage,
  notFoundResponse,
  originPolicy,
  protectedResourceMetadataResponse,
  resourceMetadataUrl,
  sseRetiredResponse,
  toAuthInfo,
  withConfig,
  type ChallengeOptions,
} from "@mcp-auth/auth-common";
import { SCOPES, createMcpEndpoint } from "@mcp-auth/mcp-core";
import { durableNotes } from "@mcp-auth/mcp-core/notes-object";
import { loadConfig, type Config } from "./config.ts";
import { pageContent } from "./page.ts";
import { buildVerifiers } from "./verifiers.ts";

export { NotesObject } from "@mcp-auth/mcp-core/notes-object";
export { ApiKeyObject } from "./key-object.ts";

interface Wiring {
  config: Config;
  origins: ReturnType<typeof originPolicy>;
  endpoint: ReturnType<typeof createMcpEndpoint>;
  authenticate: ReturnType<typeof createAuthenticator>;
}

/** Built once per isolate: configuration, verifiers (with their key caches), endpoint. */
const wiringFor = configLoader((env: Env): Wiring => {
  const config = loadConfig(env);
  const origins = originPolicy(config.ALLOWED_HOSTNAMES, config.ALLOWED_ORIGINS);
  return {
    config,
    origins,
    endpoint: createMcpEndpoint({ name: "mcp-token-validation", version: "1.0.0", ...origins }),
    authenticate: createAuthenticator({
      pattern: "token-validation",
      verifiers: buildVerifiers(config, env),
      mode: config.AUTH_MODE,
      anonymousScopes: config.ANONYMOUS_SCOPES,
    }),
  };
});

/**
 * Challenge parameters for this request. Protected-resource metadata (and so `resource_metadata`
 * in challenges) exists only when AUTHORIZATION_SERVERS names an AS: an API-key-only server must
 * not send clients into a doomed OAuth flow.
 */
function challengeFor(request: Request, config: Config): ChallengeOptions {
  if (config.AUTHORIZATION_SERVERS.length === 0) return {};
  return { resourceMetadataUrl: resourceMetadataUrl(new URL("/mcp", request.url).href), scope: SCOPES };
}

async function serveMcp(request: Request, env: Env, ctx: ExecutionContext, wiring: Wiring): Promise<Response> {
  const { config, origins, endpoint, authenticate } = wiring;
  const guarded = await guardRequest(request, {
    origins,
    rateLimit: { limiter: env.RATE_LIMITER, periodSeconds: config.RATE_LIMIT_PERIOD_SECONDS },
  });
  if (guarded instanceof Response) return guarded;
  const challenge = challengeFor(request, config);
  const identity = await authenticate(request, challenge);
  if (identity instanceof Response) return identity;
  // API keys: the per-key limit and the exact day's count were applied by the key's Durable
  // Object in the same round trip that read the record (src/key-object.ts).
  return endpoint.fetch(request, {
    authInfo: toAuthInfo(
      identity,
      challenge.resourceMetadataUrl === undefined ? {} : { resourceMetadataUrl: challenge.resourceMetadataUrl },
    ),
    parsedBody: guarded.parsedBody,
    notes: durableNotes(env.NOTES),
    onInsufficientScope: (scopes) =>
      challengeResponse(
        new AuthError("insufficient_scope", `This operation needs the scope ${scopes.join(" ")}.`, {
          requiredScopes: scopes,
        }),
        challenge,
      ),
  });
}

export default {
  fetch: (request, env, ctx) =>
    withConfig(env, wiringFor, (wiring) => {
      const { pathname } = new URL(request.url);
      if (wiring.config.AUTHORIZATION_SERVERS.length > 0) {
        const metadata = protectedResourceMetadataResponse(request, {
          resource: new URL("/mcp", request.url).href,
          authorizationServers: wiring.config.AUTHORIZATION_SERVERS,
          scopesSupported: SCOPES,
          resourceName: "MCP token-validation reference server",
        });
        if (metadata) return metadata;
      }
      switch (pathname) {
        case "/mcp":
          return serveMcp(request, env, ctx, wiring);
        case "/":
          return landingPage(request, pageContent(wiring.config));
        case "/sse":
          return sseRetiredResponse(request);
        default:
          return notFoundResponse();
      }
    }),
} satisfies ExportedHandler<Env>;

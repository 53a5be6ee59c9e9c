import {
  checkHost,
  configLoader,
  cors,
  guardTransport,
  landingPage,
  logEndpointAnswer,
  notFoundResponse,
  originPolicy,
  resourceServer,
  sseRetiredResponse,
  toAuthInfo,
  withConfig,
} from "@mcp-auth/auth-common";
import { createAuthenticator } from "@mcp-auth/auth-common/verifiers";
import { SCOPES, createMcpEndpoint } from "@mcp-auth/mcp-core";
import { durableNotes } from "@mcp-auth/mcp-core/notes-object";
import { loadConfig } from "./config.ts";
import { pageContent } from "./page.ts";
import { buildVerifiers } from "./verifiers.ts";

export { NotesObject } from "@mcp-auth/mcp-core/notes-object";
export { ApiKeyObject } from "./key-object.ts";

/** Built once per isolate: configuration, verifiers (with their key caches), endpoint. */
const wiringFor = configLoader((env: Env) => {
  const config = loadConfig(env);
  const origins = originPolicy(config.ALLOWED_HOSTNAMES, config.ALLOWED_ORIGINS);
  return {
    config,
    origins,
    cors: cors({ origins }),
    endpoint: createMcpEndpoint({ name: "mcp-token-validation", version: "1.0.0", ...origins }),
    authenticate: createAuthenticator({
      pattern: "token-validation",
      verifiers: buildVerifiers(config, env),
      mode: config.AUTH_MODE,
      anonymousScopes: config.ANONYMOUS_SCOPES,
    }),
    // Metadata, `resource_metadata` and the step-up 403 exist only when AUTHORIZATION_SERVERS
    // names an AS: an API-key-only server must not send clients into a doomed OAuth flow.
    resource: resourceServer({
      authorizationServers: config.AUTHORIZATION_SERVERS,
      scopesSupported: SCOPES,
      resourceName: "MCP token-validation reference server",
    }),
  };
});
type Wiring = ReturnType<typeof wiringFor>;

async function serveMcp(request: Request, env: Env, wiring: Wiring): Promise<Response> {
  const { config, origins, endpoint, authenticate, resource } = wiring;
  const refused = await guardTransport(request, {
    origins,
    rateLimit: { limiter: env.RATE_LIMITER, periodSeconds: config.RATE_LIMIT_PERIOD_SECONDS },
  });
  if (refused) return refused;
  // A preflight never carries credentials: answer it before authentication.
  const preflight = wiring.cors.preflight(request);
  if (preflight) return preflight;
  const challenge = resource.challenge(request);
  const identity = await authenticate(request, challenge);
  if (identity instanceof Response) return identity;
  const answer = await endpoint.fetch(request, {
    authInfo: toAuthInfo(identity, challenge),
    notes: durableNotes(env.NOTES),
    onInsufficientScope: (held, missing) => resource.insufficientScope(request, held, missing),
  });
  return logEndpointAnswer(request, answer, identity);
}

export default {
  fetch: (request, env) =>
    withConfig(env, wiringFor, (wiring) => {
      // Every route, not only /mcp: pages and metadata build URLs from the request's origin.
      const foreign = checkHost(request, wiring.origins);
      if (foreign) return foreign;
      const metadata = wiring.resource.metadataResponse(request);
      if (metadata) return metadata;
      switch (new URL(request.url).pathname) {
        case "/mcp":
          // Every answer, errors included, readable by an allowed browser origin.
          return serveMcp(request, env, wiring).then((response) => wiring.cors.apply(request, response));
        case "/":
          return landingPage(request, pageContent(wiring.config));
        case "/sse":
          return sseRetiredResponse(request);
        default:
          return notFoundResponse();
      }
    }),
} satisfies ExportedHandler<Env>;

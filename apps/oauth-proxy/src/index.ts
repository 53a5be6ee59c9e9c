import {
  configLoader,
  landingPage,
  logEndpointAnswer,
  notFoundResponse,
  sseRetiredResponse,
  toAuthInfo,
  withConfig,
} from "@mcp-auth/auth-common";
import { authorizationServer } from "@mcp-auth/auth-common/authorization-server";
import { INITIAL_SCOPES, SCOPES, createMcpEndpoint } from "@mcp-auth/mcp-core";
import { durableNotes } from "@mcp-auth/mcp-core/notes-object";
import { authorizeRoutes } from "./authorize.ts";
import { loadConfig } from "./config.ts";
import { pageContent, upstreamName } from "./page.ts";
import { refreshUpstream } from "./refresh.ts";
import { buildUpstream } from "./upstream.ts";
import { gatedRevalidate } from "./upstream-gate.ts";

export { NotesObject } from "@mcp-auth/mcp-core/notes-object";
export { UpstreamGate } from "./upstream-gate.ts";

const SERVER_NAME = "MCP oauth-proxy reference server";

/** Built once per configuration: the authorization server, the upstream client, the endpoint. */
const serverFor = configLoader((env: Env) => {
  const config = loadConfig(env);
  const upstream = buildUpstream(config);
  const server = authorizationServer<Env>({
    serverName: SERVER_NAME,
    pattern: "oauth-proxy",
    publicOrigin: config.PUBLIC_ORIGIN,
    allowedOrigins: config.ALLOWED_ORIGINS,
    rateLimitPeriodSeconds: config.RATE_LIMIT_PERIOD_SECONDS,
    scopes: SCOPES,
    initialScopes: INITIAL_SCOPES,
    serveMcp: async (request, env, identity, resource) => {
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
        kv: env.OAUTH_KV,
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
    tokenExchangeCallback: (options) => refreshUpstream(options, gatedRevalidate(options.env.UPSTREAM_GATE)),
  });
  const endpoint = createMcpEndpoint({ name: "mcp-oauth-proxy", version: "1.0.0", ...server.origins });
  return server;
});

export default {
  fetch: (request, env, ctx) => withConfig(env, serverFor, (server) => server.fetch(request, env, ctx)),
} satisfies ExportedHandler<Env>;

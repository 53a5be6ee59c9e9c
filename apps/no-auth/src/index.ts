import {
  ConfigError,
  anonymousIdentity,
  configErrorResponse,
  guardRequest,
  landingPage,
  originPolicy,
  toAuthInfo,
} from "@mcp-auth/auth-common";
import { createMcpEndpoint } from "@mcp-auth/mcp-core";
import { durableNotes } from "@mcp-auth/mcp-core/notes-object";
import { loadConfig, type Config } from "./config.ts";
import { pageContent } from "./page.ts";

export { NotesObject } from "@mcp-auth/mcp-core/notes-object";

const endpoints = new WeakMap<Config, ReturnType<typeof createMcpEndpoint>>();
function endpointFor(config: Config) {
  let endpoint = endpoints.get(config);
  if (!endpoint) {
    const origins = originPolicy(config.ALLOWED_HOSTNAMES, config.ALLOWED_ORIGINS);
    endpoint = createMcpEndpoint({ name: "mcp-no-auth", version: "1.0.0", ...origins });
    endpoints.set(config, endpoint);
  }
  return endpoint;
}

async function serveMcp(request: Request, env: Env, config: Config): Promise<Response> {
  const origins = originPolicy(config.ALLOWED_HOSTNAMES, config.ALLOWED_ORIGINS);
  const guarded = await guardRequest(request, {
    origins,
    rateLimit: { limiter: env.RATE_LIMITER, periodSeconds: config.RATE_LIMIT_PERIOD_SECONDS },
  });
  if (guarded instanceof Response) return guarded;
  return endpointFor(config).fetch(request, {
    authInfo: toAuthInfo(anonymousIdentity("no-auth", config.ANONYMOUS_SCOPES)),
    parsedBody: guarded.parsedBody,
    notes: durableNotes(env.NOTES),
  });
}

export default {
  async fetch(request, env) {
    let config: Config;
    try {
      config = loadConfig(env);
    } catch (error) {
      if (error instanceof ConfigError) return configErrorResponse(error);
      throw error;
    }
    const { pathname } = new URL(request.url);
    switch (pathname) {
      case "/mcp":
        return serveMcp(request, env, config);
      case "/":
        return landingPage(request, pageContent(config));
      case "/sse":
      case "/sse/message":
        return Response.json(
          {
            error: "transport_retired",
            error_description: "The HTTP+SSE transport is retired. Connect with Streamable HTTP at the endpoint below.",
            endpoint: new URL("/mcp", request.url).href,
          },
          { status: 410, headers: { Link: '</mcp>; rel="alternate"' } },
        );
      default:
        return Response.json({ error: "not_found", error_description: "Try POST /mcp or GET /." }, { status: 404 });
    }
  },
} satisfies ExportedHandler<Env>;

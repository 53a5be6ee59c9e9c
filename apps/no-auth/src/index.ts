import {
  ANONYMOUS_SUBJECT,
  anonymousIdentity,
  checkHost,
  configLoader,
  cors,
  guardTransport,
  landingPage,
  logEndpointAnswer,
  notFoundResponse,
  originPolicy,
  sseRetiredResponse,
  toAuthInfo,
  withConfig,
} from "@mcp-auth/auth-common";
import { createMcpEndpoint } from "@mcp-auth/mcp-core";
import { durableNotes } from "@mcp-auth/mcp-core/notes-object";
import { loadConfig, type Config } from "./config.ts";
import { pageContent } from "./page.ts";

export { NotesObject } from "@mcp-auth/mcp-core/notes-object";

/** Built once per configuration: the endpoint and the (constant) anonymous caller. */
const wiring = configLoader((config: Config) => {
  const origins = originPolicy(config.ALLOWED_HOSTNAMES, config.ALLOWED_ORIGINS);
  return {
    origins,
    cors: cors({ origins }),
    endpoint: createMcpEndpoint({ name: "mcp-no-auth", version: "1.0.0", ...origins }),
    authInfo: toAuthInfo(anonymousIdentity("no-auth", config.ANONYMOUS_SCOPES)),
  };
});

async function serveMcp(request: Request, env: Env, config: Config): Promise<Response> {
  const { origins, cors: browsers, endpoint, authInfo } = wiring(config);
  const refused = await guardTransport(request, {
    origins,
    rateLimit: { limiter: env.RATE_LIMITER, periodSeconds: config.RATE_LIMIT_PERIOD_SECONDS },
  });
  if (refused) return refused;
  const preflight = browsers.preflight(request);
  if (preflight) return preflight;
  const answer = await endpoint.fetch(request, { authInfo, notes: durableNotes(env.NOTES) });
  return logEndpointAnswer(request, answer, { clientId: authInfo.clientId, subject: ANONYMOUS_SUBJECT });
}

export default {
  fetch: (request, env) =>
    withConfig(env, loadConfig, (config) => {
      // Every route, not only /mcp: the page builds URLs from the request's origin.
      const foreign = checkHost(request, wiring(config).origins);
      if (foreign) return foreign;
      switch (new URL(request.url).pathname) {
        case "/mcp":
          // Every answer, errors included, readable by an allowed browser origin.
          return serveMcp(request, env, config).then((response) => wiring(config).cors.apply(request, response));
        case "/":
          return landingPage(request, pageContent(config));
        case "/sse":
          return sseRetiredResponse(request);
        default:
          return notFoundResponse();
      }
    }),
} satisfies ExportedHandler<Env>;

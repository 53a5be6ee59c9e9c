import { landingPage, originPolicy } from "@mcp-auth/auth-common";
import { authorizationServerWorker } from "@mcp-auth/auth-common/authorization-server";
import {
  INITIAL_SCOPES,
  MAX_NOTES_IMPORT_BYTES,
  SCOPES,
  SCOPE_DESCRIPTIONS,
  createMcpEndpoint,
  notesAdminRoutes,
} from "@mcp-auth/mcp-core";
import { durableNotes } from "@mcp-auth/mcp-core/notes-object";
import { authorizeRoutes } from "./authorize.ts";
import { loadConfig } from "./config.ts";
import { pageContent, upstreamName } from "./page.ts";
import { refreshUpstream } from "./refresh.ts";
import { buildUpstream } from "./upstream.ts";
import { gatedRevalidate } from "./upstream-gate.ts";

export { NotesObject } from "@mcp-auth/mcp-core/notes-object";
export { RefreshLedger } from "@mcp-auth/auth-common/authorization-server";
export { UpstreamGate } from "./upstream-gate.ts";

const SERVER_NAME = "MCP oauth-proxy reference server";

export default authorizationServerWorker<Env>((env) => {
  const config = loadConfig(env);
  const origins = originPolicy([new URL(config.PUBLIC_ORIGIN).hostname], config.ALLOWED_ORIGINS);
  const endpoint = createMcpEndpoint({ name: "mcp-oauth-proxy", version: "1.0.0", ...origins });
  return {
    serverName: SERVER_NAME,
    pattern: "oauth-proxy",
    publicOrigin: config.PUBLIC_ORIGIN,
    origins,
    rateLimitPeriodSeconds: config.RATE_LIMIT_PERIOD_SECONDS,
    scopes: SCOPES,
    initialScopes: INITIAL_SCOPES,
    mcp: (request, env, call) => endpoint.fetch(request, { ...call, notes: durableNotes(env.NOTES) }),
    // GET|POST|DELETE /admin/notes (npm run notes): only while NOTES_ADMIN_SECRET is set.
    admin: {
      secret: config.NOTES_ADMIN_SECRET,
      maxBodyBytes: MAX_NOTES_IMPORT_BYTES,
      routes: notesAdminRoutes((env: Env) => durableNotes(env.NOTES)),
    },
    routes: {
      // GET/POST /authorize (consent, then the upstream), GET /callback (back from the upstream).
      ...authorizeRoutes({
        upstream: buildUpstream(config),
        publicOrigin: config.PUBLIC_ORIGIN,
        upstreamName: upstreamName(config),
        consent: {
          scopes: SCOPES,
          initialScopes: INITIAL_SCOPES,
          descriptions: SCOPE_DESCRIPTIONS,
          serverName: SERVER_NAME,
        },
      }),
      "/": (request) => landingPage(request, pageContent(config)),
    },
    // Every refresh revalidates the user upstream, one at a time per grant.
    tokenExchangeCallback: (options) => refreshUpstream(options, gatedRevalidate(options.env.UPSTREAM_GATE)),
  };
}) satisfies ExportedHandler<Env>;

import {
  anonymousIdentity,
  landingPage,
  originPolicy,
  resourceServer,
  resourceServerWorker,
} from "@mcp-auth/auth-common";
import { MAX_NOTES_IMPORT_BYTES, SCOPES, createMcpEndpoint, notesAdminRoutes } from "@mcp-auth/mcp-core";
import { durableNotes } from "@mcp-auth/mcp-core/notes-object";
import { loadConfig } from "./config.ts";
import { pageContent } from "./page.ts";

export { NotesObject } from "@mcp-auth/mcp-core/notes-object";

export default resourceServerWorker<Env>((env) => {
  const config = loadConfig(env);
  const origins = originPolicy(config.ALLOWED_HOSTNAMES, config.ALLOWED_ORIGINS);
  const endpoint = createMcpEndpoint({ name: "mcp-no-auth", version: "1.0.0", ...origins });
  const anonymous = anonymousIdentity("no-auth", config.ANONYMOUS_SCOPES);
  return {
    origins,
    rateLimitPeriodSeconds: config.RATE_LIMIT_PERIOD_SECONDS,
    // No authorization server: no metadata, no `resource_metadata`, a missing scope is a tool error.
    resource: resourceServer({ authorizationServers: [], scopesSupported: SCOPES }),
    // Every caller is the same anonymous one.
    authenticate: () => Promise.resolve(anonymous),
    mcp: (request, env, call) => endpoint.fetch(request, { ...call, notes: durableNotes(env.NOTES) }),
    // GET|POST|DELETE /admin/notes (npm run notes): only while NOTES_ADMIN_SECRET is set.
    admin: {
      secret: config.NOTES_ADMIN_SECRET,
      maxBodyBytes: MAX_NOTES_IMPORT_BYTES,
      routes: notesAdminRoutes((env: Env) => durableNotes(env.NOTES)),
    },
    routes: { "/": (request) => landingPage(request, pageContent(config)) },
  };
}) satisfies ExportedHandler<Env>;

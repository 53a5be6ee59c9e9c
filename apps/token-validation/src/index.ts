import { landingPage, originPolicy, resourceServer, resourceServerWorker } from "@mcp-auth/auth-common";
import { createAuthenticator } from "@mcp-auth/auth-common/verifiers";
import { MAX_NOTES_IMPORT_BYTES, SCOPES, createMcpEndpoint, notesAdminRoutes } from "@mcp-auth/mcp-core";
import { durableNotes } from "@mcp-auth/mcp-core/notes-object";
import { loadConfig } from "./config.ts";
import { pageContent } from "./page.ts";
import { requiredFromNotice } from "./required-from.ts";
import { buildVerifiers } from "./verifiers.ts";

export { NotesObject } from "@mcp-auth/mcp-core/notes-object";
export { ApiKeyObject } from "./key-object.ts";

export default resourceServerWorker<Env>((env) => {
  const config = loadConfig(env);
  const origins = originPolicy(config.ALLOWED_HOSTNAMES, config.ALLOWED_ORIGINS);
  // Migration mode with AUTH_REQUIRED_FROM: anonymous callers are told when that ends.
  const notice = requiredFromNotice(config);
  const endpoint = createMcpEndpoint({
    name: "mcp-token-validation",
    version: "1.0.0",
    ...origins,
    notice: notice?.toolNotice,
  });
  return {
    origins,
    rateLimitPeriodSeconds: config.RATE_LIMIT_PERIOD_SECONDS,
    // Metadata, `resource_metadata` and the step-up 403 exist only when AUTHORIZATION_SERVERS
    // names an AS: an API-key-only server must not send clients into a doomed OAuth flow.
    resource: resourceServer({
      authorizationServers: config.AUTHORIZATION_SERVERS,
      scopesSupported: SCOPES,
      resourceName: "MCP token-validation reference server",
    }),
    // The verifiers (with their key caches) live as long as this configuration.
    authenticate: createAuthenticator({
      pattern: "token-validation",
      verifiers: buildVerifiers(config, env),
      mode: config.AUTH_MODE,
      anonymousScopes: config.ANONYMOUS_SCOPES,
    }),
    mcp: async (request, env, call) => {
      const response = await endpoint.fetch(request, { ...call, notes: durableNotes(env.NOTES) });
      return notice === undefined ? response : notice.mark(request, call.authInfo, response);
    },
    // GET|POST|DELETE /admin/notes (npm run notes): only while NOTES_ADMIN_SECRET is set.
    admin: {
      secret: config.NOTES_ADMIN_SECRET,
      maxBodyBytes: MAX_NOTES_IMPORT_BYTES,
      routes: notesAdminRoutes((env: Env) => durableNotes(env.NOTES)),
    },
    routes: { "/": (request) => landingPage(request, pageContent(config)) },
  };
}) satisfies ExportedHandler<Env>;

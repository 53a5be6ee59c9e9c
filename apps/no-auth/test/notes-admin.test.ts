import { describeNotesAdmin, type AdminCall } from "@mcp-auth/mcp-core/testing";
import { env } from "cloudflare:workers";
import worker from "../src/index.ts";

// The notes admin route (npm run notes) on this app: the shared suite, with the secret the
// workerd config sets and without it. no-auth authenticates nobody at /mcp, so there is no MCP
// credential to refuse at the route, and the admin secret at /mcp is not even read.

/** The Worker with `vars` over the test env, on the origin the tests use. */
function callWith(vars: Partial<Env>): AdminCall {
  const configured = { ...env, ...vars };
  return (path, init = {}) => {
    const headers = new Headers(init.headers);
    if (!headers.has("host")) headers.set("host", "localhost");
    return worker.fetch(new Request(new URL(path, "http://localhost"), { ...init, headers }), configured);
  };
}

describeNotesAdmin({
  call: callWith({}),
  callWithSecret: (secret) => callWith({ NOTES_ADMIN_SECRET: secret }),
  secret: env.NOTES_ADMIN_SECRET,
  mcpCredentials: async () => ({}),
  adminSecretAtMcp: "ignored",
});

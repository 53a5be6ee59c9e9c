import { describeNotesAdmin } from "@mcp-auth/mcp-core/testing";
import { env } from "cloudflare:workers";
import { createKey, mintJwt, withVars } from "./helpers.ts";

// The notes admin route (npm run notes) on this app: the shared suite, with the secret the
// workerd config sets and without it. Neither an API key nor a JWT opens it, and the admin
// secret is no credential at /mcp.

/** `withVars` on the origin the tests use, as the suite calls it. */
const on =
  (vars: Partial<Env>) =>
  (path: string, init?: RequestInit): Promise<Response> =>
    withVars(vars)(new URL(path, "http://localhost").href, init);

describeNotesAdmin({
  call: on({}),
  callWithSecret: (secret) => on({ NOTES_ADMIN_SECRET: secret }),
  secret: env.NOTES_ADMIN_SECRET,
  mcpCredentials: async () => ({
    "API key": (await createKey(["notes:read", "notes:write"])).key,
    JWT: await mintJwt(),
  }),
  adminSecretAtMcp: "refused",
});

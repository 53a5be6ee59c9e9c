import { describeNotesAdmin } from "@mcp-auth/mcp-core/testing";
import { env } from "cloudflare:workers";
import { call, callWith, githubGrant } from "./helpers.ts";

// The notes admin route (npm run notes) on this app: the shared suite, with the secret the
// workerd config sets and without it. An OAuth access token does not open it, and the admin
// secret is no access token at /mcp.

describeNotesAdmin({
  call: (path, init) => call(path, init),
  callWithSecret: (secret) => (path, init) => callWith({ NOTES_ADMIN_SECRET: secret }, path, init),
  secret: env.NOTES_ADMIN_SECRET,
  mcpCredentials: async () => ({ "OAuth access token": (await githubGrant()).accessToken }),
  adminSecretAtMcp: "refused",
});

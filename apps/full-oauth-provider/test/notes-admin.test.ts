import { describeNotesAdmin } from "@mcp-auth/mcp-core/testing";
import { env } from "cloudflare:workers";
import worker from "../src/index.ts";
import { ORIGIN, call, connected } from "./helpers.ts";

// The notes admin route (npm run notes) on this app: the shared suite, with the secret the
// workerd config sets and without it. An OAuth access token of a signed-in user does not open
// it, and the admin secret is no access token at /mcp.

/** The same Worker with another NOTES_ADMIN_SECRET (`""`: unset), on PUBLIC_ORIGIN. */
const withSecret =
  (secret: string) =>
  (path: string, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    headers.set("host", "localhost:8790");
    const request = new Request(new URL(path, ORIGIN), { ...init, headers, redirect: "manual" });
    return worker.fetch(request, { ...env, NOTES_ADMIN_SECRET: secret }, {
      waitUntil: () => undefined,
      passThroughOnException: () => undefined,
      props: {},
    } as unknown as ExecutionContext);
  };

describeNotesAdmin({
  call: (path, init) => call(path, init),
  callWithSecret: withSecret,
  secret: env.NOTES_ADMIN_SECRET,
  mcpCredentials: async () => ({ "OAuth access token": (await connected()).tokens.access_token }),
  adminSecretAtMcp: "refused",
});

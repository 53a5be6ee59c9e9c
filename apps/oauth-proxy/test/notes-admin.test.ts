import { getOAuthApi } from "@cloudflare/workers-oauth-provider";
import { describeNotesAdmin } from "@mcp-auth/mcp-core/testing";
import { env } from "cloudflare:workers";
import { FAKE_GITHUB_USER_ID } from "./fake-github-api.ts";
import { ORIGIN, authorizePath, call, callWith, exchangeCode, registerClient } from "./helpers.ts";

// The notes admin route (npm run notes) on this app: the shared suite, with the secret the
// workerd config sets and without it. An OAuth access token does not open it, and the admin
// secret is no access token at /mcp.

/** The library's helpers on this Worker's KV, to make a grant as /callback does after a sign-in. */
const library = getOAuthApi<Env>(
  {
    apiRoute: "/mcp",
    apiHandler: { fetch: () => Promise.resolve(new Response(null, { status: 500 })) },
    defaultHandler: { fetch: () => Promise.resolve(new Response(null, { status: 500 })) },
    authorizeEndpoint: "/authorize",
    tokenEndpoint: "/token",
    clientRegistrationEndpoint: "/register",
    resourceMetadata: { resource: `${ORIGIN}/mcp` },
  },
  env,
);

/** An access token of a grant made as /callback makes one after a GitHub sign-in. */
async function accessToken(): Promise<string> {
  const clientId = await registerClient();
  const request = await library.parseAuthRequest(new Request(new URL(authorizePath(clientId), ORIGIN)));
  const { redirectTo } = await library.completeAuthorization({
    request,
    userId: "github-notes-admin",
    metadata: {},
    scope: request.scope,
    props: {
      subject: String(FAKE_GITHUB_USER_ID),
      issuer: "https://github.invalid",
      upstream: { accessToken: "gho-test-upstream-token" },
    },
  });
  const code = new URL(redirectTo).searchParams.get("code") ?? "";
  const exchanged = await exchangeCode(clientId, code);
  if (exchanged.status !== 200) throw new Error(`code exchange failed: ${exchanged.status}`);
  return (await exchanged.json<{ access_token: string }>()).access_token;
}

describeNotesAdmin({
  call: (path, init) => call(path, init),
  callWithSecret: (secret) => (path, init) => callWith({ NOTES_ADMIN_SECRET: secret }, path, init),
  secret: env.NOTES_ADMIN_SECRET,
  mcpCredentials: async () => ({ "OAuth access token": await accessToken() }),
  adminSecretAtMcp: "refused",
});

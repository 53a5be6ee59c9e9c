import { getOAuthApi } from "@cloudflare/workers-oauth-provider";
import { describeRefreshReuse, type IssuedGrant } from "@mcp-auth/auth-common/testing";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { FAKE_GITHUB_USER_ID } from "./fake-github-api.ts";
import { ORIGIN, authorizePath, call, callWith, exchangeCode, registerClient } from "./helpers.ts";

// Refresh-token reuse (auth-common's RefreshLedger): the same cases as full-oauth-provider's. A
// grant is made as /callback makes one after a GitHub sign-in (the library's
// completeAuthorization with the user's GitHub token in its props), without a browser; each
// refresh then asks the fake GitHub token check (test/fake-github-api.ts) whether it stands.
// A reuse has no audit table here: its record is the `request_refused` `refresh_reuse_detected`
// log line.

/** The library's helpers on this Worker's KV, with the app's endpoints. */
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

let users = 0;

/** A grant as /callback makes one after a GitHub sign-in, and its code exchange's tokens. */
async function githubGrant(): Promise<IssuedGrant> {
  const clientId = await registerClient();
  const request = await library.parseAuthRequest(new Request(new URL(authorizePath(clientId), ORIGIN)));
  const { redirectTo } = await library.completeAuthorization({
    request,
    // A user of its own per grant: completing an authorization replaces the same user's grants.
    userId: `github-test-${++users}`,
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
  const tokens = await exchanged.json<{ access_token: string; refresh_token: string }>();
  return { clientId, accessToken: tokens.access_token, refreshToken: tokens.refresh_token };
}

describeRefreshReuse({ call, ledgers: env.REFRESH_LEDGER, grant: githubGrant });

describe("a refresh ledger that does not answer", () => {
  it("→ 503 temporarily_unavailable with Retry-After, the library not asked: the same token refreshes once it answers", async () => {
    const grant = await githubGrant();
    const broken = {
      idFromName: (name: string) => env.REFRESH_LEDGER.idFromName(name),
      get: () => ({ begin: () => Promise.reject(new Error("Durable Object reset because its code was updated.")) }),
    } as unknown as Env["REFRESH_LEDGER"];
    const form = { grant_type: "refresh_token", refresh_token: grant.refreshToken, client_id: grant.clientId };
    const init = {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "cf-connecting-ip": "192.0.2.55" },
      body: new URLSearchParams(form),
    };
    const refused = await callWith({ REFRESH_LEDGER: broken }, "/token", init);
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("5");
    expect(await refused.json()).toEqual({
      error: "temporarily_unavailable",
      error_description: "Refreshing is briefly unavailable; try again shortly.",
    });
    const renewed = await call("/token", { ...init, body: new URLSearchParams(form) });
    expect(renewed.status).toBe(200);
  });
});

import { getOAuthApi } from "@cloudflare/workers-oauth-provider";
import {
  TEST_CHALLENGE as CHALLENGE,
  TEST_REDIRECT_URI as REDIRECT_URI,
  testClient,
  type IssuedGrant,
} from "@mcp-auth/auth-common/testing";
import { freshAddress } from "@mcp-auth/dev-harness/limits";
import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import worker from "../src/index.ts";
import { FAKE_GITHUB_USER_ID } from "./fake-github-api.ts";

export { CHALLENGE, REDIRECT_URI };
export const ORIGIN = "http://localhost:8789";

/** A request into the Worker as a client on PUBLIC_ORIGIN sends it. */
export function call(path: string, init: RequestInit = {}, host = "localhost:8789"): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has("host")) headers.set("host", host);
  if (!headers.has("cf-connecting-ip")) headers.set("cf-connecting-ip", freshAddress());
  return exports.default.fetch(new Request(new URL(path, `http://${host}`), { ...init, headers }));
}

/** The same Worker with other variables, as an operator might deploy it. */
export function callWith(vars: Partial<Env>, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("host", "localhost:8789");
  const request = new Request(new URL(path, ORIGIN), { ...init, headers });
  return worker.fetch(request, { ...env, ...vars }, {
    waitUntil: () => undefined,
    passThroughOnException: () => undefined,
    props: {},
  } as unknown as ExecutionContext);
}

export const { registerClient, authorizePath, exchangeCode } = testClient(call, ORIGIN);

/** The consent form's handle and the binding cookie, from a consent page response. */
export async function consentOf(response: Response): Promise<{ handle: string; cookie: string; html: string }> {
  const html = await response.text();
  const handle = /name="handle" value="([^"]+)"/.exec(html)?.[1];
  const cookie = (response.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  if (handle === undefined || cookie === "")
    throw new Error(`not a consent page: ${response.status} ${html.slice(0, 200)}`);
  return { handle, cookie, html };
}

/** The parameters `response` sends the client back with: a 302 to its registered redirect URI. */
export function clientRedirect(response: Response): Record<string, string> {
  expect(response.status).toBe(302);
  const location = new URL(response.headers.get("location") ?? "");
  expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
  return Object.fromEntries(location.searchParams);
}

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

/**
 * A grant as /callback makes one after a GitHub sign-in (the library's completeAuthorization with
 * the user's GitHub token in its props), without a browser, and its code exchange's tokens.
 */
export async function githubGrant(): Promise<IssuedGrant> {
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

import {
  TEST_CHALLENGE as CHALLENGE,
  TEST_REDIRECT_URI as REDIRECT_URI,
  testClient,
} from "@mcp-auth/auth-common/testing";
import { freshAddress } from "@mcp-auth/dev-harness/limits";
import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import worker from "../src/index.ts";

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

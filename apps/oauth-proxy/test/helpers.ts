import { freshAddress } from "@mcp-auth/dev-harness/addresses";
import { env, exports } from "cloudflare:workers";
import worker from "../src/index.ts";

export const ORIGIN = "http://localhost:8789";
export const REDIRECT_URI = "http://127.0.0.1:43210/callback";

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
  return worker.fetch(request as Parameters<typeof worker.fetch>[0], { ...env, ...vars }, {
    waitUntil: () => undefined,
    passThroughOnException: () => undefined,
    props: {},
  } as unknown as ExecutionContext);
}

/** Dynamic registration of a public client; returns its id. */
export async function registerClient(metadata: Record<string, unknown> = {}): Promise<string> {
  const body = JSON.stringify({
    client_name: "workerd test client",
    redirect_uris: [REDIRECT_URI],
    token_endpoint_auth_method: "none",
    ...metadata,
  });
  const response = await call("/register", { method: "POST", headers: { "content-type": "application/json" }, body });
  if (response.status !== 201) throw new Error(`registration failed: ${response.status} ${await response.text()}`);
  return (await response.json<{ client_id: string }>()).client_id;
}

export const CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/** An authorization URL with PKCE S256 and the usual parameters; `extra` overrides (undefined deletes). */
export function authorizePath(clientId: string, extra: Record<string, string | undefined> = {}): string {
  const params = new URLSearchParams({
    response_type: "code",
    client_id: clientId,
    redirect_uri: REDIRECT_URI,
    code_challenge: CHALLENGE,
    code_challenge_method: "S256",
    state: "state-123",
    scope: "notes:read",
    resource: `${ORIGIN}/mcp`,
  });
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) params.delete(name);
    else params.set(name, value);
  }
  return `/authorize?${params.toString()}`;
}

/** The consent form's handle and the binding cookie, from a consent page response. */
export async function consentOf(response: Response): Promise<{ handle: string; cookie: string; html: string }> {
  const html = await response.text();
  const handle = /name="handle" value="([^"]+)"/.exec(html)?.[1];
  const cookie = (response.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  if (handle === undefined || cookie === "")
    throw new Error(`not a consent page: ${response.status} ${html.slice(0, 200)}`);
  return { handle, cookie, html };
}

import { generateApiKey } from "@mcp-auth/auth-common/verifiers";
import { viaHandler, type FetchLike } from "@mcp-auth/mcp-core/testing";
import { env, exports } from "cloudflare:workers";
import { SignJWT } from "jose";
import worker from "../src/index.ts";

export const MCP_URL = new URL("http://localhost/mcp");

/** Requests straight into the Worker's default export inside workerd. */
export const viaWorker: FetchLike = viaHandler((request) => exports.default.fetch(request));

/** The same Worker with other variables (and optionally `cf` fields), as an operator would deploy it. */
export function withVars(vars: Partial<Env>, cf?: Record<string, unknown>): FetchLike {
  const configured = { ...env, ...vars };
  return viaHandler(async (request) => {
    const incoming = cf === undefined ? request : new Request(request, { cf });
    // A request built in a test has only the `cf` fields we give it; the handler reads no others.
    return worker.fetch(incoming, configured);
  });
}

/** Stores a new API key directly in D1 (what `pnpm keys create` does) and returns it. */
export async function createKey(
  scopes: string[],
  options: { owner?: string; expiresAt?: number | null; revokedAt?: number | null } = {},
): Promise<{ key: string; id: string }> {
  const { key, id, hash } = await generateApiKey();
  await env.KEYS_DB.prepare("INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, ?, ?)")
    .bind(
      id,
      hash,
      options.owner ?? "alice",
      scopes.join(" "),
      Date.now(),
      options.expiresAt ?? null,
      options.revokedAt ?? null,
    )
    .run();
  return { key, id };
}

/** An HS256 access token for the test secret, with overridable claims and header. */
export async function mintJwt(
  claims: Record<string, unknown> = {},
  options: { secret?: string; ttl?: number; header?: Record<string, unknown> } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    iss: env.JWT_ISSUER,
    aud: env.JWT_AUDIENCE,
    sub: "jwt-user",
    iat: now,
    exp: now + (options.ttl ?? 600),
    scope: "notes:read notes:write",
    client_id: "test-client",
    ...claims,
  };
  const jwt = new SignJWT(payload).setProtectedHeader({ alg: "HS256", typ: "at+jwt", ...options.header });
  return jwt.sign(new TextEncoder().encode(options.secret ?? env.JWT_SECRET));
}

/** A JSON-RPC POST to /mcp with the given headers. */
export function rpc(
  fetchLike: FetchLike,
  headers: Record<string, string>,
  body: unknown = { jsonrpc: "2.0", id: 1, method: "tools/list" },
  url = MCP_URL.href,
) {
  return fetchLike(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2025-06-18",
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

/** The JSON-RPC message of a `/mcp` answer, whether sent as JSON or as one SSE `data:` event. */
export async function readRpc(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!(response.headers.get("content-type") ?? "").startsWith("text/event-stream")) return JSON.parse(text);
  const data = text.split("\n").find((line) => line.startsWith("data: "));
  if (data === undefined) throw new Error(`no data event in: ${text.slice(0, 200)}`);
  return JSON.parse(data.slice("data: ".length));
}

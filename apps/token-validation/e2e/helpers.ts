// Test-side helpers: the key CLI, credentials of every kind, and raw MCP requests.
import { DEV_TEST_CLIENT, basicAuth } from "@mcp-auth/dev-idp";
import { bearerChallenge, freshAddress, jsonRpcOf } from "@mcp-auth/dev-harness";
import { SignJWT, importJWK, type JWTPayload } from "jose";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, inject } from "vitest";
import { ACCESS_AUD, AUDIENCE, HS256_ISSUER, JWT_SECRET } from "./constants.ts";

const APP_DIR = join(import.meta.dirname, "..");
const run = promisify(execFile);

/** The CLI's last invocation: invocations run one at a time (see {@link keysCli}). */
let cliQueue: Promise<unknown> = Promise.resolve();

/** Runs `node scripts/keys.ts <args> --persist-to <stateDir>`: exit code and output. */
export function keysCliRaw(
  stateDir: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const invocation = cliQueue.then(async () => {
    try {
      const { stdout, stderr } = await run(
        process.execPath,
        [join(APP_DIR, "scripts", "keys.ts"), ...args, "--persist-to", stateDir],
        { cwd: APP_DIR, env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" }, timeout: 60_000 },
      );
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code?: unknown; stdout?: unknown; stderr?: unknown };
      if (typeof failed.code !== "number") throw error;
      return { code: failed.code, stdout: String(failed.stdout), stderr: String(failed.stderr) };
    }
  });
  cliQueue = invocation.catch(() => undefined);
  return invocation;
}

/**
 * Runs `node scripts/keys.ts <args> --json --persist-to <stateDir>` and parses its JSON output.
 * Serialized: two invocations writing at once make the second fail with SQLITE_BUSY (reported).
 */
export async function keysCli(stateDir: string, args: string[]): Promise<unknown> {
  const result = await keysCliRaw(stateDir, [...args, "--json"]);
  if (result.code !== 0) throw new Error(`keys ${args.join(" ")} exited ${result.code}:\n${result.stderr}`);
  return JSON.parse(result.stdout) as unknown;
}

/** What `keys create --json` (and `rotate --json`) print. */
export interface CreatedKey {
  id: string;
  key: string;
  owner: string;
  scopes: string[];
  expiresAt: number | null;
}

function isCreatedKey(value: unknown): value is CreatedKey {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record["id"] === "string" &&
    typeof record["key"] === "string" &&
    typeof record["owner"] === "string" &&
    Array.isArray(record["scopes"])
  );
}

/** Parses the JSON a key-creating command printed, failing loudly on anything else. */
export function asCreatedKey(value: unknown): CreatedKey {
  if (!isCreatedKey(value)) throw new Error(`unexpected CLI output: ${JSON.stringify(value)}`);
  return value;
}

/** `keys create` through the CLI, against a running instance's local state. */
export async function createKey(
  stateDir: string,
  owner: string,
  scopes = "notes:read notes:write",
): Promise<CreatedKey> {
  return asCreatedKey(await keysCli(stateDir, ["create", "--owner", owner, "--scopes", scopes]));
}

/** `keys usage <id> --json`: today's count (0 when there is no row yet). */
export async function usageToday(stateDir: string, id: string): Promise<number> {
  const rows = (await keysCli(stateDir, ["usage", id, "--days", "1"])) as { day: string; count: number }[];
  const today = new Date().toISOString().slice(0, 10);
  return rows.find((row) => row.day === today)?.count ?? 0;
}

/** Authorization header for a bearer credential, plus a fresh client address. */
export function bearer(credential: string): Record<string, string> {
  return { authorization: `Bearer ${credential}`, "cf-connecting-ip": freshAddress() };
}

/** An HS256 access token for the "keys" instance's secret, with overridable claims. */
export async function hs256Token(
  claims: JWTPayload = {},
  options: { secret?: string; ttlSeconds?: number } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    iss: HS256_ISSUER,
    aud: AUDIENCE,
    sub: "jwt-user",
    client_id: "e2e-client",
    scope: "notes:read notes:write",
    iat: now,
    exp: now + (options.ttlSeconds ?? 600),
    ...claims,
  })
    .setProtectedHeader({ alg: "HS256", typ: "at+jwt" })
    .sign(new TextEncoder().encode(options.secret ?? JWT_SECRET));
}

/** A client_credentials token from dev-idp (as `mcp-test-client`) for a resource indicator. */
export async function idpToken(resource: string, scope = "notes:read notes:write"): Promise<string> {
  const response = await fetch(inject("devIdp").tokenUrl, {
    method: "POST",
    headers: { authorization: basicAuth(DEV_TEST_CLIENT), "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "client_credentials", scope, resource }),
  });
  const body = (await response.json()) as { access_token?: unknown };
  if (response.status !== 200 || typeof body.access_token !== "string") {
    throw new Error(`dev-idp token request failed: ${response.status} ${JSON.stringify(body)}`);
  }
  return body.access_token;
}

/** RFC 7009 revocation at dev-idp, as the client the token was issued to. */
export async function idpRevoke(token: string): Promise<void> {
  const response = await fetch(inject("devIdp").revocationUrl, {
    method: "POST",
    headers: { authorization: basicAuth(DEV_TEST_CLIENT), "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token, token_type_hint: "access_token" }),
  });
  if (response.status !== 200) throw new Error(`dev-idp revocation failed: ${response.status}`);
  await response.body?.cancel();
}

/** A Cloudflare Access-style JWT signed with the fake team's key. */
export async function accessToken(claims: JWTPayload = {}): Promise<string> {
  const { origin, privateJwk } = inject("access");
  const now = Math.floor(Date.now() / 1000);
  const key = await importJWK(privateJwk, "RS256");
  return new SignJWT({
    iss: origin,
    aud: [ACCESS_AUD],
    sub: "7335d417-61da-459d-899c-0a01c76a2f94",
    email: "ada@example.com",
    type: "app",
    iat: now,
    nbf: now,
    exp: now + 600,
    ...claims,
  })
    .setProtectedHeader({ alg: "RS256", kid: privateJwk.kid ?? "" })
    .sign(key);
}

/** A JSON-RPC request body. */
export const WHOAMI = {
  jsonrpc: "2.0",
  id: 2,
  method: "tools/call",
  params: { name: "whoami", arguments: {} },
} as const;
export const echo = (text: string, id = 3) =>
  ({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "echo", arguments: { text } } }) as const;

/** One answer from /mcp: status, headers and the parsed body (JSON-RPC or OAuth error JSON). */
export interface McpAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** `{ error, error_description }` of an auth failure, when the body is one. */
  oauth: { error?: string; error_description?: string; scope?: string };
  /** The JSON-RPC message, when the body is one. */
  rpc: ReturnType<typeof jsonRpcOf> | undefined;
}

/** A POST to `<origin><path>` (default `/mcp`) the way a 2025-06-18 client sends it (no SDK, no session). */
export async function mcpPost(
  origin: string,
  headers: Record<string, string>,
  body: unknown,
  path = "/mcp",
): Promise<McpAnswer> {
  const response = await fetch(`${origin}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2025-06-18",
      "cf-connecting-ip": freshAddress(),
      ...headers,
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  let oauth: McpAnswer["oauth"] = {};
  let rpc: McpAnswer["rpc"];
  try {
    const parsed = jsonRpcOf(text);
    if ("jsonrpc" in parsed) rpc = parsed;
    else oauth = parsed as McpAnswer["oauth"];
  } catch {
    // Not JSON: left for the caller's assertions on `text`.
  }
  return { status: response.status, headers: response.headers, text, oauth, rpc };
}

/** `structuredContent` of a tools/call result in a JSON-RPC answer. */
export function structured(answer: McpAnswer): Record<string, unknown> | undefined {
  const result = answer.rpc?.result as { structuredContent?: Record<string, unknown> } | undefined;
  return result?.structuredContent;
}

/** The error code and description in a `WWW-Authenticate: Bearer …` challenge (parsed strictly). */
function challengeOf(answer: McpAnswer): { error?: string; description?: string; header: string } {
  const header = answer.headers.get("www-authenticate") ?? "";
  const params = bearerChallenge(header)?.params ?? {};
  const error = params["error"];
  const description = params["error_description"];
  return { header, ...(error === undefined ? {} : { error }), ...(description === undefined ? {} : { description }) };
}

/**
 * Asserts an authentication failure: HTTP status, the OAuth error code and message in the JSON
 * body, and (for 400/401/403) the same code and message in `WWW-Authenticate`.
 */
export function expectRejected(answer: McpAnswer, status: number, error: string, message: string): void {
  expect({ status: answer.status, body: answer.oauth }).toEqual({
    status,
    body: expect.objectContaining({ error, error_description: message }) as unknown,
  });
  if (status === 400 || status === 401 || status === 403) {
    const challenge = challengeOf(answer);
    expect(challenge.header).toMatch(/^Bearer( |$)/);
    if (error === "unauthorized") {
      // RFC 6750 §3.1: no credential at all → a challenge without an error code.
      expect(challenge.error).toBeUndefined();
    } else {
      expect(challenge.error).toBe(error);
      expect(challenge.description).toBe(message);
    }
  } else {
    expect(answer.headers.get("www-authenticate")).toBeNull();
  }
}

/**
 * Asserts the answer to a call whose scope the caller lacks on a server with no authorization
 * server to step up at: a 200 tool error naming the scope, and no challenge.
 */
export function expectScopeToolError(answer: McpAnswer, scope: string): void {
  expect(answer.status).toBe(200);
  expect(answer.headers.get("www-authenticate")).toBeNull();
  const result = answer.rpc?.result as { isError?: boolean; content?: { text?: string }[] } | undefined;
  expect(result?.isError).toBe(true);
  expect(result?.content?.[0]?.text).toContain(`needs the scope ${scope}`);
}

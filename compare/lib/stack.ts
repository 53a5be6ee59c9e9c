// The local stack `compare` measures: dev-idp and every app under `wrangler dev` on free ports,
// each with fresh state in a temporary directory (never the developer's .wrangler or a running
// `pnpm dev`), configured the way the apps' READMEs run them.
import { DEFAULT_CLIENTS, startDevIdp, type DevClient, type DevIdp } from "@mcp-auth/dev-idp";
import {
  freePort,
  proxyUpstreamVars,
  runToCompletion,
  startWranglerDev,
  wranglerEnv,
  type WranglerDev,
} from "@mcp-auth/dev-harness";
import { existsSync } from "node:fs";
import { join } from "node:path";

export const ROOT = join(import.meta.dirname, "..", "..");

/** token-validation's resource identifier in the stack (dev-idp issues tokens for it). */
export const TV_RESOURCE = "http://localhost:8788/mcp";
/** dev-idp resources: JWTs and opaque tokens for token-validation, and both for another server. */
export const OPAQUE_RESOURCE = "urn:mcp-auth:compare-opaque";
export const OTHER_RESOURCE = "http://localhost:9999/mcp";
export const OTHER_OPAQUE_RESOURCE = "urn:mcp-auth:compare-other-opaque";
/** A second machine client at dev-idp: a second caller for the tenant checks. */
export const SECOND_CLIENT: DevClient = {
  clientId: "compare-second-client",
  clientSecret: "compare-only-second-secret",
};
/** token-validation's HS256 settings for the run (never deployed values). */
export const HS256 = {
  secret: "compare-only-hs256-secret-never-deployed-0123456789",
  issuer: "http://127.0.0.1:8791",
  audience: TV_RESOURCE,
};
const PEPPER = "compare-only-password-pepper-never-deployed-01234";

/** One running server and where its MCP endpoint answers. */
export interface Server {
  dev: WranglerDev;
  /** The origin requests go to (PUBLIC_ORIGIN for the OAuth apps). */
  origin: string;
  dir: string;
  /** Milliseconds from "ready" to the first answered request (cold). */
  coldMs: number;
}

export interface Stack {
  idp: DevIdp;
  servers: Record<ServerName, Server | undefined>;
  /** full-oauth-provider's pepper, for its users CLI. */
  pepper: string;
  /** The extra resource full-oauth-provider issues tokens for (another server's /mcp). */
  fopExtraResource: string;
  stop(): Promise<void>;
}

export type ServerName =
  "no-auth" | "tv-keys" | "tv-idp" | "oauth-proxy" | "full-oauth-provider" | "mcp-agent" | "baseline-rl";

/** Which servers the selected columns need. */
export function serversFor(columns: readonly string[]): ServerName[] {
  const needs: Record<string, ServerName[]> = {
    "no-auth": ["no-auth"],
    "tv-api-key": ["tv-keys"],
    "tv-jwt": ["tv-keys"],
    "tv-jwks": ["tv-idp"],
    "tv-introspection": ["tv-idp"],
    // A token of the other OAuth app is presented to each OAuth app.
    "oauth-proxy": ["oauth-proxy", "full-oauth-provider"],
    "full-oauth-provider": ["full-oauth-provider", "oauth-proxy"],
    "mcp-agent": ["mcp-agent"],
  };
  return [...new Set([...columns.flatMap((column) => needs[column] ?? []), "baseline-rl" as const])];
}

/** The seeds' McpAgent Worker exists in this tree (bench/mcp-agent). */
export const hasMcpAgent = () => existsSync(join(ROOT, "bench", "mcp-agent", "src", "index.ts"));

/** One answered request after start: how long the first one took. */
async function firstAnswerMs(origin: string): Promise<number> {
  const started = performance.now();
  const answer = await fetch(`${origin}/mcp`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
  });
  await answer.body?.cancel();
  return performance.now() - started;
}

/** Starts dev-idp and the servers `names` (in parallel), each on free ports with fresh state. */
export async function startStack(names: readonly ServerName[], progress: (line: string) => void): Promise<Stack> {
  const proxyPort = await freePort();
  const proxyOrigin = `http://localhost:${proxyPort}`;
  const idp = await startDevIdp({
    port: 0,
    proxyRedirectUris: [`${proxyOrigin}/callback`],
    clients: [...DEFAULT_CLIENTS, SECOND_CLIENT],
    rotateRefreshTokens: true,
    resources: [
      { indicator: TV_RESOURCE, scope: "notes:read notes:write", format: "jwt" },
      { indicator: OPAQUE_RESOURCE, scope: "notes:read notes:write", format: "opaque", audience: TV_RESOURCE },
      { indicator: OTHER_RESOURCE, scope: "notes:read notes:write", format: "jwt" },
      {
        indicator: OTHER_OPAQUE_RESOURCE,
        scope: "notes:read notes:write",
        format: "opaque",
        audience: OTHER_RESOURCE,
      },
    ],
  });
  const fopPort = await freePort();
  const fopOrigin = `http://localhost:${fopPort}`;
  const fopExtraResource = "http://localhost:9998/mcp";
  const plans: Record<ServerName, () => Promise<Server>> = {
    "no-auth": () => start("apps/no-auth", {}),
    "tv-keys": () =>
      start("apps/token-validation", {
        vars: {
          AUTH_METHODS: "api_key,jwt",
          JWT_SECRET: HS256.secret,
          JWT_ISSUER: HS256.issuer,
          JWT_AUDIENCE: HS256.audience,
        },
        prepare: [["d1", "migrations", "apply", "KEYS_DB", "--local"]],
      }),
    "tv-idp": () =>
      start("apps/token-validation", {
        vars: {
          AUTH_METHODS: "jwt,introspection",
          JWT_SECRET: "",
          JWT_ISSUER: idp.issuer,
          JWT_AUDIENCE: TV_RESOURCE,
          JWT_JWKS_URL: idp.jwksUrl,
          JWT_ALGORITHMS: "RS256",
          INTROSPECTION_URL: idp.introspectionUrl,
          INTROSPECTION_CLIENT_ID: "mcp-resource-server",
          INTROSPECTION_CLIENT_SECRET: "dev-only-mcp-resource-server-secret",
          INTROSPECTION_AUDIENCE: TV_RESOURCE,
          ALLOW_INSECURE_HTTP_LOOPBACK: "true",
        },
      }),
    "oauth-proxy": () =>
      start("apps/oauth-proxy", {
        port: proxyPort,
        origin: proxyOrigin,
        vars: proxyUpstreamVars(proxyOrigin, idp),
      }),
    "full-oauth-provider": () =>
      start("apps/full-oauth-provider", {
        port: fopPort,
        origin: fopOrigin,
        prepare: [["d1", "migrations", "apply", "DB", "--local"]],
        vars: {
          PUBLIC_ORIGIN: fopOrigin,
          PASSWORD_PEPPER: PEPPER,
          PASSWORD_PEPPER_PREVIOUS: "",
          SESSION_SECRET: "compare-only-session-secret-never-deployed-0123",
          ALLOW_INSECURE_HTTP_LOOPBACK: "true",
          EXTRA_RESOURCES: JSON.stringify({ [fopExtraResource]: ["notes:read", "notes:write"] }),
        },
      }),
    "mcp-agent": () => start("bench/mcp-agent", {}),
    "baseline-rl": () => start("bench/baseline", { config: "wrangler.ratelimited.jsonc" }),
  };

  async function start(
    dir: string,
    options: {
      vars?: Record<string, string>;
      prepare?: string[][];
      port?: number;
      origin?: string;
      config?: string;
    },
  ): Promise<Server> {
    const dev = await startWranglerDev({
      cwd: join(ROOT, dir),
      ...(options.config === undefined ? {} : { config: options.config }),
      ...(options.vars === undefined ? {} : { vars: options.vars }),
      ...(options.prepare === undefined ? {} : { prepare: options.prepare }),
      ...(options.port === undefined ? {} : { port: options.port }),
      startTimeoutMs: 240_000,
    });
    const origin = options.origin ?? dev.origin;
    const coldMs = await firstAnswerMs(origin);
    progress(`started ${dir} on ${origin} (first answer ${Math.round(coldMs)} ms)`);
    return { dev, origin, dir, coldMs };
  }

  const servers = Object.fromEntries(names.map((name) => [name, undefined])) as Record<ServerName, Server | undefined>;
  const results = await Promise.allSettled(
    names.map(async (name) => {
      servers[name] = await plans[name]();
    }),
  );
  const stop = async () => {
    await Promise.allSettled(Object.values(servers).map(async (server) => server?.dev.stop()));
    await idp.stop();
  };
  const failed = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
  if (failed !== undefined) {
    await stop();
    throw failed.reason;
  }
  return { idp, servers, pepper: PEPPER, fopExtraResource, stop };
}

/** Runs an app's admin CLI against its running server's state; its parsed JSON output. */
export async function appCli(server: Server, script: string, args: string[], env: Record<string, string> = {}) {
  const result = await runToCompletion(
    process.execPath,
    [join(ROOT, server.dir, "scripts", script), ...args, "--json", "--persist-to", server.dev.stateDir],
    { cwd: join(ROOT, server.dir), env: wranglerEnv(env) },
  );
  if (result.code !== 0)
    throw new Error(`${script} ${args[0] ?? ""} failed (code ${String(result.code)}).\n${result.tail}`);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

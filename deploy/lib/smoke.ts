// The live-URL smoke test `deploy` runs after `wrangler deploy`: does the Worker at this origin
// answer the way its pattern should, to a client that knows nothing but the URL? Every failed
// check names its fix; what only Cloudflare in front of the Worker does (a zone's bot protection)
// is a warning, since the Worker itself is fine.
import { bearerChallenge } from "@mcp-auth/dev-harness";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";

/** The four apps `deploy` deploys. */
export type SmokeApp = "no-auth" | "token-validation" | "oauth-proxy" | "full-oauth-provider";

/** One thing checked at the live URL: what was seen and, when it is wrong, what to change. */
export interface SmokeCheck {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

/** The smoke test's verdict: `ok` when every check passed (warnings do not fail it). */
export interface SmokeResult {
  ok: boolean;
  checks: SmokeCheck[];
  warnings: string[];
}

export interface SmokeOptions {
  /** How requests reach the origin (default: the global `fetch`). */
  fetch?: typeof fetch;
  /**
   * The `vars` the Worker was deployed with (its wrangler.deploy.jsonc), when known. Only
   * token-validation's expected answers depend on them: `AUTH_MODE=optional` serves anonymous
   * callers, and `AUTHORIZATION_SERVERS` decides whether its 401 names `resource_metadata`.
   */
  vars?: Readonly<Record<string, string>>;
  /** How long one request may take before the check fails (default 20 s). */
  timeoutMs?: number;
}

/**
 * wrangler as the fixes name it: the app's own, on the Node the project brings (a plain
 * `npx wrangler` on a Node 20 machine stops: wrangler needs Node 22 or later).
 */
const WRANGLER = "npx -y pnpm@10.34.9 exec wrangler";

/** The user agent Anthropic's Claude sends when a person's request fetches a URL. */
export const AI_CLIENT_USER_AGENT = "Claude-User";

const OAUTH_APPS: readonly SmokeApp[] = ["oauth-proxy", "full-oauth-provider"];
const MCP_INITIALIZE = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "mcp-auth-deploy-smoke", version: "1.0.0" },
  },
};
/** Where Cloudflare's dashboard keeps the settings that block or challenge AI clients. */
const BOT_SETTINGS_FIX =
  'In the Cloudflare dashboard, open the domain\'s Security settings, filter by "Bot traffic", and turn off ' +
  '"Block AI bots" and "Bot fight mode" for this zone (Bot fight mode cannot be skipped for one hostname; ' +
  "Super Bot Fight Mode, on paid plans, can, by a WAF custom rule's Skip action); then run the smoke test again.";

/** One HTTP answer as the checks read it: the body is read once, at most 64 KiB of it. */
interface Answer {
  status: number;
  headers: Headers;
  body: string;
}

/** A request that got no HTTP answer at all. */
class NoAnswer extends Error {
  override readonly name = "NoAnswer";
}

/** Runs the smoke test against `origin` (e.g. `https://mcp.example.com`) for `app`; never throws. */
export async function smokeTest(app: SmokeApp, origin: string, options: SmokeOptions = {}): Promise<SmokeResult> {
  const checks: SmokeCheck[] = [];
  const warnings: string[] = [];
  const result = (): SmokeResult => ({ ok: checks.every((check) => check.ok), checks, warnings });
  const base = parseOrigin(origin);
  if (typeof base !== "string") {
    checks.push(base);
    return result();
  }
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 20_000;
  const configFile = `apps/${app}/wrangler.deploy.jsonc`;
  const context: Context = { app, origin: base, configFile };
  const get = (path: string, init: RequestInit = {}) => request(doFetch, new URL(path, base), init, timeoutMs);

  // 1. The page. An origin that does not answer at all ends the test here: every other check
  // would say the same thing.
  try {
    const page = await get("/", { headers: { accept: "text/html" } });
    checks.push(
      page.status === 200
        ? { name: "GET /", ok: true, detail: `200 (${page.headers.get("content-type") ?? "no content type"})` }
        : { name: "GET /", ...explainFailure(page, "200", context) },
    );
  } catch (error) {
    checks.push(unreachable("GET /", base, error, timeoutMs));
    return result();
  }

  // 2. /mcp without a credential: the pattern's own answer.
  const mcpUrl = new URL("/mcp", base).href;
  const metadataUrl = new URL("/.well-known/oauth-protected-resource/mcp", base).href;
  let resourceMetadata: string | undefined;
  if (app === "no-auth") {
    checks.push(await mcpClientCheck(doFetch, mcpUrl, timeoutMs, context));
  } else {
    const oauth = OAUTH_APPS.includes(app);
    const advertised = oauth || (options.vars?.["AUTHORIZATION_SERVERS"] ?? "").trim() !== "";
    const anonymousAllowed = app === "token-validation" && options.vars?.["AUTH_MODE"] === "optional";
    const name = "POST /mcp without a credential";
    try {
      const answer = await postInitialize(doFetch, mcpUrl, {}, timeoutMs);
      const challenge = answer.status === 401 ? safeChallenge(answer.headers.get("www-authenticate")) : undefined;
      resourceMetadata = challenge?.params["resource_metadata"];
      if (answer.status === 200 && app === "token-validation") {
        // Migration mode: anonymous callers are served (AUTH_MODE=optional).
        if (anonymousAllowed)
          checks.push({ name, ok: true, detail: "200: anonymous callers are served (AUTH_MODE=optional)" });
        else {
          checks.push({ name, ok: true, detail: "200: anonymous callers are served" });
          warnings.push(
            `${mcpUrl} serves callers without a credential (AUTH_MODE=optional, the migration mode). ` +
              `If that is not meant, set AUTH_MODE to "required" in ${configFile} and deploy again.`,
          );
        }
      } else if (answer.status !== 401) {
        checks.push({ name, ...explainFailure(answer, "401", context) });
      } else if (challenge === undefined) {
        checks.push({
          name,
          ok: false,
          detail: `401 without a Bearer challenge (WWW-Authenticate: ${answer.headers.get("www-authenticate") ?? "absent"})`,
          fix: "Something in front of the Worker rewrote its answer: check the zone's rules for this hostname.",
        });
      } else if (advertised && resourceMetadata === undefined) {
        checks.push({
          name,
          ok: false,
          detail: `401 without resource_metadata: a client cannot discover where to sign in`,
          fix: oauth
            ? `The Worker answers another origin than ${base} (a 401 names resource_metadata only on PUBLIC_ORIGIN): ` +
              `set PUBLIC_ORIGIN to "${base}" in ${configFile} and deploy again.`
            : `AUTHORIZATION_SERVERS is set in ${configFile} but the live Worker does not advertise it: deploy again ` +
              `with \`${WRANGLER} deploy --config wrangler.deploy.jsonc\` in apps/${app} so the Worker gets the file's vars.`,
        });
        resourceMetadata = undefined;
      } else if (resourceMetadata !== undefined && resourceMetadata !== metadataUrl) {
        checks.push({
          name,
          ok: false,
          detail: `401 names resource_metadata ${resourceMetadata}, not ${metadataUrl}`,
          fix: publicOriginFix(context),
        });
      } else {
        checks.push({
          name,
          ok: true,
          detail:
            resourceMetadata === undefined
              ? "401 with a Bearer challenge, no resource_metadata (AUTHORIZATION_SERVERS is not set: API keys and JWTs only)"
              : `401 with a Bearer challenge naming resource_metadata ${resourceMetadata}`,
        });
      }
    } catch (error) {
      checks.push(unreachable(name, base, error, timeoutMs));
    }
    if (advertised || resourceMetadata !== undefined) {
      checks.push(await protectedResourceCheck(get, metadataUrl, mcpUrl, oauth, context));
    }
    if (oauth) checks.push(await authorizationServerCheck(get, context));
  }

  // 3. Bot protection: Cloudflare in front of the Worker may refuse an AI client that the checks
  // above (a plain user agent) got through. Only a refusal made by the zone counts.
  try {
    const answer = await postInitialize(doFetch, mcpUrl, { "user-agent": AI_CLIENT_USER_AGENT }, timeoutMs);
    const zone = zoneRefusal(answer);
    if (zone !== undefined) {
      warnings.push(
        `A request with User-Agent: ${AI_CLIENT_USER_AGENT} (how Claude fetches for a person) to ${mcpUrl} was ` +
          `answered ${answer.status} by Cloudflare's ${zone}, not by the Worker: AI clients cannot reach this server. ` +
          BOT_SETTINGS_FIX,
      );
    }
  } catch {
    // No answer at all is already a failed check above; this probe only adds a warning.
  }
  return result();
}

interface Context {
  app: SmokeApp;
  origin: string;
  configFile: string;
}

/** The origin as a URL origin, or the failed check saying why it is not one. */
function parseOrigin(origin: string): string | SmokeCheck {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return {
      name: "origin",
      ok: false,
      detail: `${JSON.stringify(origin)} is not a URL`,
      fix: "Pass the Worker's origin, e.g. https://mcp-no-auth.example.workers.dev",
    };
  }
  if ((url.protocol !== "https:" && url.protocol !== "http:") || url.href !== `${url.origin}/`) {
    return {
      name: "origin",
      ok: false,
      detail: `${origin} is not an origin (scheme and host only)`,
      fix: `Pass ${url.protocol === "https:" || url.protocol === "http:" ? url.origin : "https://<host>"} without a path, query or fragment.`,
    };
  }
  return url.origin;
}

/** One request with a deadline; the body read as text (bounded). Throws {@link NoAnswer}. */
async function request(
  doFetch: typeof fetch,
  url: URL | string,
  init: RequestInit,
  timeoutMs: number,
): Promise<Answer> {
  try {
    const response = await doFetch(url, { ...init, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
    const body = (await response.text()).slice(0, 64 * 1024);
    return { status: response.status, headers: response.headers, body };
  } catch (error) {
    throw new NoAnswer(describeNetworkError(error, timeoutMs));
  }
}

function postInitialize(doFetch: typeof fetch, url: string, headers: Record<string, string>, timeoutMs: number) {
  return request(
    doFetch,
    url,
    {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
      body: JSON.stringify(MCP_INITIALIZE),
    },
    timeoutMs,
  );
}

/** Why a request got no answer, in one line (never a stack). */
function describeNetworkError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return `no answer within ${timeoutMs / 1000} s`;
  }
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const code = typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : undefined;
  const message = cause instanceof Error ? cause.message : String(cause);
  if (code === "ECONNREFUSED") return "connection refused (nothing listens there)";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "the host name does not resolve";
  if (code?.startsWith("ERR_TLS") === true || code?.includes("CERT") === true) return `TLS failed: ${message}`;
  return message;
}

function unreachable(name: string, origin: string, error: unknown, timeoutMs: number): SmokeCheck {
  const reason = error instanceof NoAnswer ? error.message : describeNetworkError(error, timeoutMs);
  return {
    name,
    ok: false,
    detail: `no answer from ${origin}: ${reason}`,
    fix:
      "Check the URL: the one `wrangler deploy` printed, or your custom domain. If the Worker was deployed " +
      `moments ago, wait a minute and run the smoke test again; \`${WRANGLER} deployments list --config wrangler.deploy.jsonc\` in the app's folder shows whether it is deployed.`,
  };
}

/** The Bearer challenge of a header, or `undefined` when there is none or it is malformed. */
function safeChallenge(header: string | null) {
  try {
    return bearerChallenge(header);
  } catch {
    return undefined;
  }
}

/** The body as JSON, or `undefined`. */
function json(answer: Answer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(answer.body);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What in front of the Worker refused the request, when Cloudflare's zone did rather than the
 * Worker: a challenge page (`cf-mitigated: challenge`, set on every challenge page type), a block
 * page (Cloudflare's HTML) or a Cloudflare error code (`error code: 1010`: the browser signature
 * was banned). The Worker's own refusals are JSON with our error codes.
 */
export function zoneRefusal(answer: Pick<Answer, "status" | "headers" | "body">): string | undefined {
  const mitigated = answer.headers.get("cf-mitigated");
  if (mitigated !== null)
    return mitigated === "challenge" ? "challenge page (cf-mitigated: challenge)" : `${mitigated} (cf-mitigated)`;
  if (answer.status < 400) return undefined;
  const type = (answer.headers.get("content-type") ?? "").toLowerCase();
  if (type.includes("json")) return undefined;
  if (/error code: 1\d{3}/i.test(answer.body)) return `block (${/error code: 1\d{3}/i.exec(answer.body)?.[0] ?? ""})`;
  if (type.includes("html") && /cloudflare/i.test(answer.body)) {
    return /just a moment|challenge-platform/i.test(answer.body) ? "challenge page" : "block page";
  }
  return undefined;
}

/** The origin a `Location` points at (relative to `base`), or the value itself when it is no URL. */
function originOf(location: string, base: string): string {
  try {
    return new URL(location, base).origin;
  } catch {
    return location;
  }
}

function publicOriginFix(context: Context): string {
  return `Set PUBLIC_ORIGIN to "${context.origin}" in ${context.configFile} and deploy again (\`npm run deploy -- ${context.app}\`).`;
}

/** A failed check for an answer other than the one expected, with the fix its shape points at. */
function explainFailure(answer: Answer, expected: string, context: Context): Omit<SmokeCheck, "name"> {
  const zone = zoneRefusal(answer);
  if (zone !== undefined) {
    return {
      ok: false,
      detail: `${answer.status} from Cloudflare's ${zone} in front of the Worker (expected ${expected} from the Worker)`,
      fix: BOT_SETTINGS_FIX,
    };
  }
  const location = answer.headers.get("location");
  if (answer.status >= 300 && answer.status < 400 && location !== null) {
    // Followed, the check would pass for a URL other than the one clients are given.
    return {
      ok: false,
      detail: `${answer.status}: redirects to ${location} (expected ${expected} at ${context.origin} itself)`,
      fix: `Smoke-test and give clients the origin that answers (${originOf(location, context.origin)}), or remove the redirect rule in front of the Worker.`,
    };
  }
  const body = json(answer);
  const rpcMessage = (body?.["error"] as { message?: unknown } | undefined)?.message;
  const message = typeof rpcMessage === "string" ? rpcMessage : undefined;
  const served = message === undefined ? undefined : /answers on (\S+) only/.exec(message)?.[1];
  if (answer.status === 403 && served !== undefined) {
    return {
      ok: false,
      detail: `403: the Worker's PUBLIC_ORIGIN is ${served}, not ${context.origin} (it answers on ${served} only)`,
      fix: `${publicOriginFix(context)} Or, if ${served} is right, smoke-test that origin.`,
    };
  }
  const host = message === undefined ? undefined : /Invalid Host: (\S+)/.exec(message)?.[1];
  if (answer.status === 403 && host !== undefined) {
    return {
      ok: false,
      detail: `403: the Worker does not answer the host ${host} (${message ?? ""})`,
      fix: `Add ${host} to ALLOWED_HOSTNAMES in ${context.configFile} and deploy again (\`npm run deploy -- ${context.app}\`).`,
    };
  }
  if (answer.status === 500 && body?.["error"] === "server_misconfigured") {
    const description = typeof body["error_description"] === "string" ? body["error_description"] : "";
    return {
      ok: false,
      detail: `500 server_misconfigured: ${description}`,
      fix:
        `Set what it names: vars in ${context.configFile}, secrets with \`${WRANGLER} secret put NAME --config wrangler.deploy.jsonc\` in apps/${context.app}; ` +
        `\`npm run deploy -- ${context.app} --check\` lists every problem. Then deploy again.`,
    };
  }
  const type = answer.headers.get("content-type") ?? "no content type";
  const summary = message ?? (typeof body?.["error"] === "string" ? body["error"] : undefined);
  return {
    ok: false,
    detail: `${answer.status} (${type})${summary === undefined ? "" : `: ${summary}`}, expected ${expected}`,
    fix: `Look at the Worker's own log while you run the smoke test again: \`${WRANGLER} tail --config wrangler.deploy.jsonc\` in apps/${context.app}.`,
  };
}

/** no-auth's /mcp through a real MCP client: initialize, then tools/list. */
async function mcpClientCheck(
  doFetch: typeof fetch,
  mcpUrl: string,
  timeoutMs: number,
  context: Context,
): Promise<SmokeCheck> {
  const name = "MCP initialize and tools/list at /mcp";
  let last: Answer | undefined;
  // Keeps the last answer that was not a success, so a refusal is explained like any other.
  const recording: typeof fetch = async (input, init) => {
    const response = await doFetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) {
      last = {
        status: response.status,
        headers: response.headers,
        body: (await response.clone().text()).slice(0, 64 * 1024),
      };
    }
    return response;
  };
  const client = new Client({ name: "mcp-auth-deploy-smoke", version: "1.0.0" });
  try {
    await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { fetch: recording }));
    const tools = (await client.listTools()).tools.map((tool) => tool.name);
    if (!tools.includes("whoami") || !tools.includes("echo")) {
      return {
        name,
        ok: false,
        detail: `tools/list answered ${tools.join(", ") || "no tools"}; this app serves whoami, echo and notes_*`,
        fix: `${mcpUrl} is not this repository's no-auth Worker: check the URL.`,
      };
    }
    return { name, ok: true, detail: `200: ${tools.length} tools (${tools.join(", ")})` };
  } catch (error) {
    if (last !== undefined) return { name, ...explainFailure(last, "200", context) };
    const reason = error instanceof Error ? describeNetworkError(error, timeoutMs) : String(error);
    return {
      name,
      ok: false,
      detail: `the MCP client failed: ${reason}`,
      fix: unreachable(name, context.origin, error, timeoutMs).fix ?? "",
    };
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** RFC 9728 metadata: served, and its `resource` is exactly this origin's /mcp. */
async function protectedResourceCheck(
  get: (path: string) => Promise<Answer>,
  metadataUrl: string,
  mcpUrl: string,
  oauth: boolean,
  context: Context,
): Promise<SmokeCheck> {
  const name = "protected-resource metadata";
  let answer: Answer;
  try {
    answer = await get(metadataUrl);
  } catch (error) {
    return unreachable(name, context.origin, error, 0);
  }
  if (answer.status !== 200) return { name, ...explainFailure(answer, "200", context) };
  const document = json(answer);
  const resource = document?.["resource"];
  const servers = document?.["authorization_servers"];
  if (resource !== mcpUrl) {
    return {
      name,
      ok: false,
      detail: `resource is ${JSON.stringify(resource)}, not ${mcpUrl}: clients refuse metadata for another URL (RFC 9728 §3.3)`,
      fix: oauth
        ? publicOriginFix(context)
        : `Call the Worker at the origin it names, or redeploy it for ${context.origin}.`,
    };
  }
  if (!Array.isArray(servers) || servers.length === 0) {
    return {
      name,
      ok: false,
      detail: "no authorization_servers",
      fix: `Set AUTHORIZATION_SERVERS in ${context.configFile} and deploy again.`,
    };
  }
  if (oauth && !servers.includes(context.origin)) {
    return {
      name,
      ok: false,
      detail: `authorization_servers is ${JSON.stringify(servers)}, not ["${context.origin}"]`,
      fix: publicOriginFix(context),
    };
  }
  return { name, ok: true, detail: `resource ${mcpUrl}, authorization_servers ${servers.join(", ")}` };
}

/** RFC 8414 metadata: its `issuer` is exactly this origin. */
async function authorizationServerCheck(get: (path: string) => Promise<Answer>, context: Context): Promise<SmokeCheck> {
  const name = "authorization-server metadata";
  let answer: Answer;
  try {
    answer = await get("/.well-known/oauth-authorization-server");
  } catch (error) {
    return unreachable(name, context.origin, error, 0);
  }
  if (answer.status !== 200) return { name, ...explainFailure(answer, "200", context) };
  const issuer = json(answer)?.["issuer"];
  if (issuer !== context.origin) {
    return {
      name,
      ok: false,
      detail: `issuer is ${JSON.stringify(issuer)}, not ${context.origin}: clients refuse an issuer other than the URL they asked (RFC 8414 §3.3)`,
      fix: publicOriginFix(context),
    };
  }
  return { name, ok: true, detail: `issuer ${context.origin}` };
}

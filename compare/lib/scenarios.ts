// The rows of the matrix: each a scenario run against every column the same way. A cell says what
// happened (status, error code, a count, a time); where a scenario cannot run, it says why.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { decodeEntities, jsoncToJson } from "@mcp-auth/dev-harness";
import { CLIENT_KINDS, connectClient } from "@mcp-auth/mcp-core/testing";
import { request as httpRequest } from "node:http";
import { refreshGrant, type Caller, type Kit, type Revoker } from "./columns.ts";
import type { Cell, Row } from "./results.ts";
import { ROOT } from "./stack.ts";

/** What a scenario sees besides the column: the other OAuth app's token, and the run's knobs. */
export interface ScenarioContext {
  /** A valid token the *other* OAuth app issued (full-oauth-provider's for oauth-proxy and every other column). */
  foreignToken(columnId: string): Promise<string | undefined>;
  quick: boolean;
}

export interface Scenario extends Row {
  run(kit: Kit, context: ScenarioContext): Promise<Cell>;
}

const MCP_HEADERS = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
  "mcp-protocol-version": "2025-06-18",
};

/** The one session an McpAgent needs; other servers answer statelessly. */
const sessions = new Map<string, string>();

/** One JSON-RPC request to the column's /mcp as `caller`; the status and the parsed body. */
export async function rpc(
  kit: Kit,
  caller: Caller,
  method: string,
  params: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> | undefined; text: string }> {
  const session = kit.column.id === "mcp-agent" ? await agentSession(kit, caller) : undefined;
  const answer = await fetch(`${kit.server.origin}/mcp`, {
    method: "POST",
    headers: {
      ...MCP_HEADERS,
      ...(caller.authorization === undefined ? {} : { authorization: caller.authorization }),
      ...(session === undefined ? {} : { "mcp-session-id": session }),
      ...headers,
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const text = await answer.text();
  return { status: answer.status, body: parseBody(text), text };
}

/** JSON, or the first `data:` line of an SSE answer. */
export function parseBody(text: string): Record<string, unknown> | undefined {
  const data = text.trimStart().startsWith("{") ? text : /^data: (.*)$/m.exec(text)?.[1];
  if (data === undefined) return undefined;
  try {
    return JSON.parse(data) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** An McpAgent serves a session: initialize once per client (and say so), then send its id. */
async function agentSession(kit: Kit, caller: Caller): Promise<string | undefined> {
  const client = `${kit.server.origin} ${caller.session ?? "first client"}`;
  const known = sessions.get(client);
  if (known !== undefined) return known;
  const answer = await fetch(`${kit.server.origin}/mcp`, {
    method: "POST",
    headers: MCP_HEADERS,
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "compare", version: "1" } },
    }),
  });
  await answer.text();
  const id = answer.headers.get("mcp-session-id") ?? undefined;
  if (id !== undefined) {
    sessions.set(client, id);
    await fetch(`${kit.server.origin}/mcp`, {
      method: "POST",
      headers: { ...MCP_HEADERS, "mcp-session-id": id },
      body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
    }).then((response) => response.text());
  }
  return id;
}

/**
 * A tools/call whose `Host` header names another site, as a DNS-rebinding page's request arrives
 * (fetch does not let a caller set `Host`; node:http does).
 */
async function withForeignHost(
  kit: Kit,
  caller: Caller,
): Promise<{ status: number; body: Record<string, unknown> | undefined }> {
  const url = new URL(`${kit.server.origin}/mcp`);
  const session = kit.column.id === "mcp-agent" ? await agentSession(kit, caller) : undefined;
  const payload = JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params: { name: "whoami", arguments: {} },
  });
  return new Promise((resolve, reject) => {
    const sent = httpRequest(
      {
        host: url.hostname === "localhost" ? "127.0.0.1" : url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        headers: {
          ...MCP_HEADERS,
          host: `evil.example:${url.port}`,
          "content-length": Buffer.byteLength(payload),
          ...(caller.authorization === undefined ? {} : { authorization: caller.authorization }),
          ...(session === undefined ? {} : { "mcp-session-id": session }),
        },
      },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (text += chunk));
        response.on("end", () => {
          resolve({ status: response.statusCode ?? 0, body: parseBody(text) });
        });
      },
    );
    sent.on("error", reject);
    sent.end(payload);
  });
}

/** Where `pnpm dev` serves the app in `dir`: `http://localhost:<dev.port>` of its wrangler.jsonc. */
function devOrigin(dir: string): string {
  const config = JSON.parse(jsoncToJson(readFileSync(join(ROOT, dir, "wrangler.jsonc"), "utf8"))) as {
    dev?: { port?: number };
  };
  return `http://localhost:${String(config.dev?.port ?? 8787)}`;
}

/** The JSON of the page's "Cursor" config block, on one line; undefined when the page has none. */
export function cursorConfig(html: string): string | undefined {
  const block = /<h3>Cursor\b[\s\S]*?<pre><code>([\s\S]*?)<\/code><\/pre>/.exec(html)?.[1];
  if (block === undefined) return undefined;
  try {
    return JSON.stringify(JSON.parse(decodeEntities(block)));
  } catch {
    return undefined;
  }
}

/** "HTTP 401 invalid_token", "200 result", "200 tool error: …". */
export function outcome(answer: { status: number; body: Record<string, unknown> | undefined }): string {
  const body = answer.body;
  const error = body?.["error"];
  if (answer.status !== 200) {
    const code =
      typeof error === "string"
        ? error
        : typeof error === "object" && error !== null && "message" in error
          ? String(error.message).slice(0, 60)
          : "";
    return `HTTP ${answer.status}${code === "" ? "" : ` ${code}`}`;
  }
  if (typeof error === "object" && error !== null)
    return `200 JSON-RPC error ${String((error as { code?: unknown }).code)}`;
  const result = body?.["result"] as { isError?: boolean; content?: { text?: string }[] } | undefined;
  if (result?.isError === true) {
    const text = result.content?.[0]?.text ?? "";
    return `200 tool error: ${text.length > 100 ? `${text.slice(0, 100).replace(/\s+\S*$/, "")}…` : text}`;
  }
  return "200 result";
}

const measured = (value: string, verdict?: "good" | "bad" | "neutral", detail?: string): Cell => ({
  kind: "measured",
  value,
  ...(verdict === undefined ? {} : { verdict }),
  ...(detail === undefined ? {} : { detail }),
});
const notApplicable = (reason: string): Cell => ({ kind: "not_applicable", reason });
const refused = (status: number) => status === 401 || status === 403;

/** A call that must be refused: the cell says how, good when it was. */
async function mustRefuse(kit: Kit, made: Caller | string, headers: Record<string, string> = {}): Promise<Cell> {
  if (typeof made === "string") return notApplicable(made);
  const answer = await rpc(kit, made, "tools/call", { name: "whoami", arguments: {} }, headers);
  return measured(outcome(answer), refused(answer.status) ? "good" : "bad");
}

export function countLines(dir: string): number {
  let lines = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) lines += countLines(path);
    else if (name.endsWith(".ts"))
      lines += readFileSync(path, "utf8")
        .split("\n")
        .filter((line) => line.trim() !== "").length;
  }
  return lines;
}

export const SCENARIOS: readonly Scenario[] = [
  {
    id: "anonymous-call",
    group: "security",
    label: "tools/call with no credential",
    scenario: "anonymous-call",
    explains: "What a request without any credential gets: an open server answers; an authenticated one answers 401.",
    async run(kit) {
      const answer = await rpc(kit, {}, "tools/call", { name: "whoami", arguments: {} });
      const verdict = kit.kind === "open" ? "neutral" : refused(answer.status) ? "good" : "bad";
      return measured(outcome(answer), verdict, kit.kind === "open" ? "open by design" : undefined);
    },
  },
  {
    id: "forged-credential",
    group: "security",
    label: "a forged credential",
    scenario: "forged-credential",
    explains: "A bearer value the server never issued.",
    run: (kit) =>
      kit.kind === "open"
        ? Promise.resolve(notApplicable("no credential is checked"))
        : mustRefuse(kit, { authorization: `Bearer forged.${"x".repeat(40)}` }),
  },
  {
    id: "expired-credential",
    group: "security",
    label: "an expired credential",
    scenario: "expired-credential",
    explains: "A credential past its expiry, where one can be made.",
    run: async (kit) => {
      const made = await kit.expired();
      return typeof made === "string" && kit.kind !== "open"
        ? { kind: "not_measured", reason: made }
        : mustRefuse(kit, made);
    },
  },
  {
    id: "other-audience",
    group: "security",
    label: "a credential for another server (audience)",
    scenario: "other-audience",
    explains: "A valid credential issued for a different resource: it must not work here.",
    run: async (kit) => mustRefuse(kit, await kit.otherAudience()),
  },
  {
    id: "other-app-token",
    group: "security",
    label: "a token the other OAuth app issued",
    scenario: "other-app-token",
    explains: "full-oauth-provider's access token (oauth-proxy's, for full-oauth-provider) presented here.",
    run: async (kit, context) => {
      if (kit.kind === "open") return notApplicable("no credential is checked");
      const token = await context.foreignToken(kit.column.id);
      if (token === undefined)
        return { kind: "not_measured", reason: "the other OAuth app is not in this run (--only)" };
      return mustRefuse(kit, { authorization: `Bearer ${token}` });
    },
  },
  {
    id: "rebinding",
    group: "security",
    label: "Host / Origin of another site (DNS rebinding)",
    scenario: "rebinding",
    explains: "A valid call with a foreign Host header, then with a foreign Origin: both must be refused.",
    async run(kit) {
      const [caller] = await kit.callers();
      const host = await withForeignHost(kit, caller);
      const origin = await rpc(
        kit,
        caller,
        "tools/call",
        { name: "whoami", arguments: {} },
        { origin: "http://evil.example" },
      );
      const ok = host.status === 403 && origin.status === 403;
      return measured(`Host: ${outcome(host)}; Origin: ${outcome(origin)}`, ok ? "good" : "bad");
    },
  },
  {
    id: "code-replay",
    group: "security",
    label: "an authorization code used twice",
    scenario: "code-replay",
    explains: "The code a client already exchanged, exchanged again (RFC 6749 §4.1.2).",
    async run(kit) {
      if (kit.freshFlow === undefined) return notApplicable("no authorization codes");
      // A flow of its own: replaying a code may end the grant it made (RFC 6749 §4.1.2).
      const flow = await kit.freshFlow();
      const answer = await fetch(flow.tokenEndpoint, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "authorization_code",
          code: flow.code,
          redirect_uri: flow.redirectUri,
          client_id: flow.clientId,
          code_verifier: flow.codeVerifier,
        }),
      });
      const body = (await answer.json()) as { error?: string };
      const after = await rpc(kit, { authorization: `Bearer ${flow.accessToken}` }, "tools/call", {
        name: "whoami",
        arguments: {},
      });
      return measured(
        `HTTP ${answer.status} ${body.error ?? ""}`.trim(),
        answer.status === 400 ? "good" : "bad",
        refused(after.status) ? "the code's tokens were revoked too" : "the code's tokens still work",
      );
    },
  },
  {
    id: "refresh-replay",
    group: "security",
    label: "a refresh token used again after its successor",
    scenario: "refresh-replay",
    explains: "Refresh with T0 (→ T1), with T1 (→ T2), then T0 again: RFC 9700 §4.14.2 asks the server to notice.",
    async run(kit) {
      if (kit.freshFlow === undefined) return notApplicable("no refresh tokens");
      const flow = await kit.freshFlow();
      if (flow.refreshToken === undefined) return { kind: "not_measured", reason: "the flow gave no refresh token" };
      const refresh = (token: string) => refreshGrant(flow, token);
      const first = await refresh(flow.refreshToken);
      if (first.body.refresh_token === undefined)
        return { kind: "not_measured", reason: `the first refresh answered ${first.status}` };
      const second = await refresh(first.body.refresh_token);
      const replay = await refresh(flow.refreshToken);
      // Reuse noticed means the grant ended: its newest refresh token is refused too.
      const newest = second.body.refresh_token === undefined ? undefined : await refresh(second.body.refresh_token);
      return measured(
        `HTTP ${replay.status} ${replay.body.error ?? ""}`.trim(),
        replay.status === 400 && newest?.status === 400 ? "good" : "bad",
        newest === undefined
          ? undefined
          : newest.status === 400
            ? "the grant was revoked: its newest refresh token is refused too"
            : "the grant lives on: its newest refresh token still works",
      );
    },
  },
  {
    id: "cross-tenant",
    group: "security",
    label: "one caller reads another's notes",
    scenario: "cross-tenant",
    explains: "Caller A adds a note; caller B lists notes: B must not see it (one caller, one tenant).",
    async run(kit) {
      const [a, b] = await kit.callers();
      const marker = `compare-${crypto.randomUUID().slice(0, 8)}`;
      const added = await rpc(kit, a, "tools/call", { name: "notes_add", arguments: { text: marker } });
      if (outcome(added) !== "200 result")
        return { kind: "not_measured", reason: `notes_add answered ${outcome(added)}` };
      const listed = await rpc(kit, b, "tools/call", { name: "notes_list", arguments: {} });
      const seen = listed.text.includes(marker);
      if (kit.kind === "open") {
        return measured(
          seen ? "B sees A's note (one shared notebook)" : "B does not see it (a notebook per session)",
          "neutral",
          seen
            ? "every caller is the same anonymous one"
            : "two clients are two sessions; a session's notes end with it",
        );
      }
      return measured(seen ? "B sees A's note" : "B does not see it", seen ? "bad" : "good");
    },
  },
  {
    id: "paste",
    group: "client",
    label: "what the user must paste",
    scenario: "paste",
    explains:
      "From the app's own / page (its copy-paste configs) and its 401: URL only, URL + header, or URL + browser sign-in.",
    async run(kit) {
      const page = await fetch(`${kit.server.origin}/`);
      if (page.status !== 200) return measured("URL only (no config page)", "neutral");
      const html = await page.text();
      // The config the page prints for Cursor (`~/.cursor/mcp.json`), as a user copies it.
      // Shown with the app's `pnpm dev` address, not this run's free port: what a user copies works.
      const config = cursorConfig(html)?.replaceAll(kit.server.origin, devOrigin(kit.column.dir));
      const shown = config === undefined ? undefined : `the page's Cursor config (under pnpm dev): ${config}`;
      if (kit.kind === "oauth") return measured("URL; the client opens a browser to sign in", "neutral", shown);
      if (config?.includes('"headers"') ?? /Authorization/.test(html)) {
        return measured("URL + an Authorization header", "neutral", shown);
      }
      return measured("URL only", "neutral", shown);
    },
  },
  {
    id: "first-call",
    group: "client",
    label: "first request to first successful tool call",
    scenario: "first-call",
    explains:
      "Wall time and steps; for OAuth, the whole headless flow (discovery, registration, sign-in, consent, token).",
    async run(kit) {
      if (kit.flow !== undefined) {
        const flow = await kit.flow();
        return measured(`${Math.round(flow.ms)} ms, ${flow.browserSteps} browser requests`, "neutral");
      }
      const [caller] = await kit.callers();
      const started = performance.now();
      const answer = await rpc(kit, caller, "tools/call", { name: "echo", arguments: { text: "hi" } });
      return measured(`${Math.round(performance.now() - started)} ms, 1 request (${outcome(answer)})`, "neutral");
    },
  },
  {
    id: "clients",
    group: "client",
    label: "MCP clients seen to work",
    scenario: "clients",
    explains:
      "Each SDK client (v1 2025-era, v2 2025-era, v2 2026-07-28) connects with the column's credential and calls echo.",
    async run(kit) {
      const [caller] = await kit.callers();
      const seen: string[] = [];
      let all = true;
      for (const kind of CLIENT_KINDS) {
        try {
          const client = await connectClient(kind, {
            url: new URL(`${kit.server.origin}/mcp`),
            headers: caller.authorization === undefined ? {} : { authorization: caller.authorization },
          });
          const answer = await client.callTool("echo", { text: "compare" });
          await client.close();
          const ok = answer.isError !== true;
          all &&= ok;
          seen.push(`${kind} ${ok ? "✓" : "✗"}`);
        } catch (error) {
          all = false;
          seen.push(`${kind} ✗ (${error instanceof Error ? error.message.slice(0, 60) : "failed"})`);
        }
      }
      return measured(
        seen.join(", "),
        all ? "good" : "bad",
        "Inspector CLI and mcp-remote are not run: they are not part of this repository's install",
      );
    },
  },
  {
    id: "missing-scope",
    group: "client",
    label: "a write with a read-only credential",
    scenario: "missing-scope",
    explains:
      "notes_add by a caller holding notes:read only: 403 step-up where the client can re-authorize, a tool error where it cannot.",
    async run(kit) {
      const reader = await kit.readOnly();
      if (typeof reader === "string") return notApplicable(reader);
      const answer = await rpc(kit, reader, "tools/call", { name: "notes_add", arguments: { text: "x" } });
      const ok =
        answer.status === 403 ||
        outcome(answer).startsWith("200 tool error") ||
        outcome(answer).startsWith("200 JSON-RPC error");
      return measured(outcome(answer), ok ? "good" : "bad");
    },
  },
  {
    id: "bindings",
    group: "cost",
    label: "bindings and secrets to set up",
    scenario: "bindings",
    explains: "Read from the app's wrangler.jsonc and .dev.vars.example.",
    async run(kit) {
      const config = JSON.parse(
        jsoncToJson(readFileSync(join(ROOT, kit.column.dir, "wrangler.jsonc"), "utf8")),
      ) as Record<string, unknown>;
      const count = (name: string, inner?: string) => {
        const value = config[name];
        const list = inner === undefined ? value : (value as Record<string, unknown> | undefined)?.[inner];
        return Array.isArray(list) ? list.length : 0;
      };
      const parts = [
        ["KV", count("kv_namespaces")],
        ["D1", count("d1_databases")],
        ["DO", count("durable_objects", "bindings")],
        ["rate limits", count("ratelimits")],
      ] as const;
      let secrets: number;
      try {
        secrets = readFileSync(join(ROOT, kit.column.dir, ".dev.vars.example"), "utf8")
          .split("\n")
          .filter((line) => /^[A-Z][A-Z0-9_]*=/.test(line) && /SECRET|PEPPER/.test(line)).length;
      } catch {
        secrets = 0;
      }
      const text =
        parts
          .filter(([, n]) => n > 0)
          .map(([name, n]) => `${n} ${name}`)
          .join(", ") || "none";
      return measured(`${text}; ${secrets} secrets`, "neutral");
    },
  },
  {
    id: "source-lines",
    group: "cost",
    label: "app-specific source (non-blank lines)",
    scenario: "source-lines",
    explains: "Lines of TypeScript in the app's own src/ (the shared packages are not counted).",
    async run(kit) {
      return measured(`${countLines(join(ROOT, kit.column.dir, "src"))} lines`, "neutral");
    },
  },
  {
    id: "cold-start",
    group: "cost",
    label: "first request after start",
    scenario: "cold-start",
    explains: "Milliseconds from wrangler dev saying ready to the first answered request (workerd loading the Worker).",
    async run(kit) {
      return measured(`${Math.round(kit.server.coldMs)} ms`, "neutral");
    },
  },
];

/** How long a revoked credential is watched before the cell says "still accepted". */
export const REVOCATION_WAIT_MS = 40_000;

/** Revokes and polls until refused: milliseconds, or null when still accepted after the wait. */
export async function revocationLatency(kit: Kit, revoker: Revoker): Promise<number | null> {
  const before = await rpc(kit, revoker.caller, "tools/call", { name: "whoami", arguments: {} });
  if (before.status !== 200)
    throw new Error(`${kit.column.id}: the credential to revoke did not work (${before.status})`);
  const started = performance.now();
  await revoker.revoke();
  while (performance.now() - started < REVOCATION_WAIT_MS) {
    const answer = await rpc(kit, revoker.caller, "tools/call", { name: "whoami", arguments: {} });
    if (refused(answer.status)) return performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return null;
}

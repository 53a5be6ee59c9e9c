// The people of a rehearsal and their MCP clients: each one a real SDK client (v1 or v2) that
// connects the way its user configured it (a URL, perhaps a header, perhaps an OAuth sign-in in a
// headless browser), from an address of its own. Also the raw requests that show what an old
// client is told (status, challenge, message) and the anonymous probe.
import { HeadlessBrowser, bearerChallenge, freshAddress, jsonRpcOf } from "@mcp-auth/dev-harness";
import { connectClient, resultText, type ClientKind, type ToolCallResult } from "@mcp-auth/mcp-core/testing";
import { HeadlessOAuthProvider } from "@mcp-auth/mcp-core/testing/node";
import type { OAuthClientProvider as OAuthClientProviderV2 } from "@modelcontextprotocol/client";
import { auth as authV1 } from "@modelcontextprotocol/sdk/client/auth.js";
import { createHash } from "node:crypto";
import type { ClientSetup } from "./configs.ts";

type DiscoveryState = Parameters<NonNullable<OAuthClientProviderV2["saveDiscoveryState"]>>[0];

/** A client installation's OAuth state, which can forget its tokens (to sign in again for more scope). */
export class ClientOAuth extends HeadlessOAuthProvider {
  private held: ReturnType<HeadlessOAuthProvider["tokens"]>;
  private discovery: DiscoveryState | undefined;
  /** SDK v2 binds the code to the authorization server it discovered (SEP-2352): kept like the verifier. */
  saveDiscoveryState(state: DiscoveryState) {
    this.discovery = state;
  }
  discoveryState() {
    return this.discovery;
  }
  override tokens() {
    return this.held;
  }
  override saveTokens(tokens: NonNullable<ReturnType<HeadlessOAuthProvider["tokens"]>>) {
    this.held = tokens;
  }
  forgetTokens() {
    this.held = undefined;
  }
}

/** How a person's client proves who they are right now. */
export type Credential =
  | { kind: "none" }
  | { kind: "header"; authorization: string; shown: string }
  | { kind: "oauth"; provider: ClientOAuth };

export interface Person {
  name: string;
  client: ClientKind;
  address: string;
  url: string;
  credential: Credential;
}

/** A person using `client` at `url` with no credential yet. */
export function person(name: string, client: ClientKind, url: string): Person {
  return { name, client, address: freshAddress(), url, credential: { kind: "none" } };
}

/** A headless browser whose requests come from `address` (per-address limits, as on other machines). */
function browserFrom(address: string): HeadlessBrowser {
  return new HeadlessBrowser({
    fetch: (url, init) => {
      const headers = new Headers(init?.headers);
      headers.set("cf-connecting-ip", address);
      return fetch(url, { ...init, headers });
    },
  });
}

/** An OAuth sign-in for `who` as `login` (an upstream name, or an email and password here). */
export function oauthCredential(who: Person, login: string, password = "dev-only-password"): Credential {
  return {
    kind: "oauth",
    provider: new ClientOAuth(`${who.name}'s ${who.client}`, { login, password }, browserFrom(who.address)),
  };
}

/** What the user's client config says for `who` now: the URL and any header. */
export function setupOf(who: Person): ClientSetup {
  return who.credential.kind === "header"
    ? { mcpUrl: who.url, headers: { Authorization: who.credential.shown } }
    : { mcpUrl: who.url };
}

/** What one call saw: the result, and the headers of the answer to the call itself. */
export interface Seen {
  result: ToolCallResult;
  headers: Headers;
}

/**
 * Calls `tool` as `who` through their SDK client. An OAuth client that is refused (401, or 403
 * insufficient_scope) goes through the browser and its SDK's auth(), as a desktop client does,
 * then calls again (at most twice: sign-in, then step-up).
 */
export async function call(who: Person, tool: string, args: Record<string, unknown> = {}): Promise<Seen> {
  let last = new Headers();
  const url = new URL(who.url);
  const provider = who.credential.kind === "oauth" ? who.credential.provider : undefined;
  const connection = {
    url,
    headers: {
      "cf-connecting-ip": who.address,
      ...(who.credential.kind === "header" ? { authorization: who.credential.authorization } : {}),
    },
    fetch: async (input: string | URL, init?: RequestInit) => {
      const answer = await fetch(input, init);
      if (init?.method === "POST") last = answer.headers;
      return answer;
    },
    ...(provider === undefined ? {} : { authProvider: () => provider }),
  };
  for (let attempt = 0; ; attempt++) {
    try {
      const client = await connectClient(who.client, connection);
      try {
        const result = await client.callTool(tool, args);
        return { result, headers: last };
      } finally {
        await client.close();
      }
    } catch (error) {
      if (provider === undefined || attempt >= 2 || !/unauthorized|insufficient|upscoping/i.test(String(error)))
        throw error;
      if (/upscoping/i.test(String(error))) {
        // SDK v1 answers a 403 insufficient_scope with a refresh for the same scope, then gives
        // up; its user signs in again, and the client asks for the scope the 403 named.
        provider.forgetTokens();
        const outcome = await authV1(provider, { serverUrl: url, scope: "notes:read notes:write" });
        if (outcome !== "REDIRECT") {
          throw new Error(`SDK v1 auth() for notes:write answered ${outcome}`, { cause: error });
        }
      }
      await provider.finish(who.client, url);
    }
  }
}

/** A note's identity in the ledger: the first 16 hex digits of the SHA-256 of its text. */
export function noteHash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

/** The notes `who` can read, as hashes of their texts (in their order). */
export async function notesOf(who: Person): Promise<string[]> {
  const { result } = await call(who, "notes_list");
  if (result.isError === true) throw new Error(`${who.name}'s notes_list failed: ${resultText(result)}`);
  const notes = (result.structuredContent?.["notes"] ?? []) as { text: string }[];
  return notes.map((note) => noteHash(note.text));
}

/** What a request answered, as an old client or a probe sees it. */
export interface Answer {
  status: number;
  /** `error` of a 4xx JSON body (an OAuth error code), when there is one. */
  error?: string;
  description?: string;
  /** The `WWW-Authenticate` header, verbatim. */
  challenge?: string;
  /** `resource_metadata` of its Bearer challenge. */
  resourceMetadata?: string;
  /** Hashes of the notes a successful notes_list returned. */
  notes?: string[];
  headers: Headers;
  /** One line: "200 result (3 notes)", "401 invalid_token: …", "unreachable". */
  summary: string;
}

/** A raw `tools/call notes_list` at `origin`/mcp with `headers`: the status, challenge and body. */
export async function rawNotesList(origin: string, headers: Record<string, string>): Promise<Answer> {
  let answer: Response;
  try {
    answer = await fetch(`${origin}/mcp`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": "2025-06-18",
        ...headers,
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "notes_list", arguments: {} },
      }),
    });
  } catch {
    return { status: 0, headers: new Headers(), summary: "unreachable (nothing listens there)" };
  }
  const text = await answer.text();
  const body = parseBody(text);
  const challenge = answer.headers.get("www-authenticate") ?? undefined;
  const base = {
    status: answer.status,
    headers: answer.headers,
    ...(challenge === undefined ? {} : { challenge }),
  };
  const metadata = bearerChallenge(challenge)?.params["resource_metadata"];
  if (answer.status === 200) {
    const result = body?.["result"] as
      { structuredContent?: { notes?: { text: string }[] }; isError?: boolean } | undefined;
    if (result?.isError === true || result?.structuredContent === undefined) {
      return { ...base, summary: `200, tool refused: ${text.slice(0, 160)}` };
    }
    const notes = (result.structuredContent.notes ?? []).map((note) => noteHash(note.text));
    return { ...base, notes, summary: `200 result (${String(notes.length)} notes readable)` };
  }
  const error = typeof body?.["error"] === "string" ? body["error"] : undefined;
  const description = typeof body?.["error_description"] === "string" ? body["error_description"] : undefined;
  return {
    ...base,
    ...(error === undefined ? {} : { error }),
    ...(description === undefined ? {} : { description }),
    ...(metadata === undefined ? {} : { resourceMetadata: metadata }),
    summary: `${String(answer.status)} ${error ?? ""}${description === undefined ? "" : `: ${description}`}`.trim(),
  };
}

/** The answer's JSON body (a JSON-RPC message, plain or as one SSE event; or an OAuth error). */
function parseBody(text: string): Record<string, unknown> | undefined {
  try {
    return jsonRpcOf(text);
  } catch {
    return undefined;
  }
}

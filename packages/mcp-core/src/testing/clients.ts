import {
  Client as ClientV2,
  StreamableHTTPClientTransport as TransportV2,
  type OAuthClientProvider as OAuthClientProviderV2,
} from "@modelcontextprotocol/client";
import type { OAuthClientProvider as OAuthClientProviderV1 } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client as ClientV1 } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as TransportV1 } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

/** How requests reach the app: the network, or workerd's `exports.default.fetch`. */
export type FetchLike = (url: string | URL, init?: RequestInit) => Promise<Response>;

/**
 * An SDK `OAuthClientProvider` that both client generations accept as their transport's
 * `authProvider` (SDK v1 `@modelcontextprotocol/sdk` and the v2 client): how the OAuth apps'
 * callers get, send and refresh their tokens.
 */
export type ContractOAuthProvider = OAuthClientProviderV1 & OAuthClientProviderV2;

/** How one caller connects: its credential (static headers or an OAuth provider) and the path its requests take. */
export interface Connection {
  url: URL;
  /** Sent on every request (a static credential, a client address). */
  headers?: Record<string, string>;
  fetch?: FetchLike;
  /**
   * Makes the OAuth client provider for one connecting client; called once per client, since a
   * provider holds that client's registration, PKCE verifier and tokens. The SDK then sends
   * `Authorization: Bearer <tokens().access_token>` and runs its own 401/403 handling.
   */
  authProvider?: () => ContractOAuthProvider;
}

/**
 * An OAuth client provider that only ever holds one access token: the SDK sends it as a bearer
 * token and cannot authorize anew (a refused token fails the connection with this provider's
 * error rather than starting a browser flow).
 */
export function staticTokenProvider(accessToken: string): ContractOAuthProvider {
  const cannot = (what: string) =>
    new Error(`staticTokenProvider cannot ${what}: the server did not accept the static access token`);
  return {
    redirectUrl: undefined,
    clientMetadata: { redirect_uris: [], client_name: "mcp-auth-contract (static token)" },
    clientInformation: () => undefined,
    tokens: () => ({ access_token: accessToken, token_type: "Bearer" }),
    saveTokens: () => {
      throw cannot("store new tokens");
    },
    redirectToAuthorization: () => {
      throw cannot("authorize");
    },
    saveCodeVerifier: () => {
      throw cannot("authorize");
    },
    codeVerifier: () => {
      throw cannot("authorize");
    },
  };
}

/** The client generations and protocol eras every app must serve. */
export const CLIENT_KINDS = ["sdk-v1 (2025)", "sdk-v2 (2025)", "sdk-v2 (2026-07-28)"] as const;
export type ClientKind = (typeof CLIENT_KINDS)[number];

/** The subset of both SDK clients' surface the contract suite uses. */
export interface McpTestClient {
  listToolNames(): Promise<string[]>;
  listTools(): Promise<{ name: string; description?: string | undefined; inputSchema: unknown }[]>;
  callTool(name: string, args: Record<string, unknown>): Promise<ToolCallResult>;
  close(): Promise<void>;
}

/** A tool result as both SDK generations return it. */
export interface ToolCallResult {
  isError?: boolean | undefined;
  content?: unknown;
  structuredContent?: Record<string, unknown> | undefined;
}

/** Text of the first text block of a tool result ("" when there is none). */
export function resultText(result: ToolCallResult): string {
  const blocks = Array.isArray(result.content) ? (result.content as unknown[]) : [];
  for (const block of blocks) {
    if (typeof block === "object" && block !== null && "type" in block && block.type === "text" && "text" in block) {
      return String(block.text);
    }
  }
  return "";
}

const INFO = { name: "mcp-auth-contract", version: "1.0.0" };

/** Connects a real SDK client of the given kind to the app, with static headers and/or an OAuth provider. */
export async function connectClient(kind: ClientKind, connection: Connection): Promise<McpTestClient> {
  const options = {
    requestInit: { headers: connection.headers ?? {} },
    ...(connection.fetch ? { fetch: connection.fetch } : {}),
    ...(connection.authProvider ? { authProvider: connection.authProvider() } : {}),
  };
  if (kind === "sdk-v1 (2025)") {
    const client = new ClientV1(INFO);
    await client.connect(new TransportV1(connection.url, options));
    return {
      listToolNames: async () => (await client.listTools()).tools.map((tool) => tool.name),
      listTools: async () => (await client.listTools()).tools,
      callTool: async (name, args) => (await client.callTool({ name, arguments: args })) as ToolCallResult,
      close: () => client.close(),
    };
  }
  const client = new ClientV2(
    INFO,
    kind === "sdk-v2 (2026-07-28)" ? { versionNegotiation: { mode: { pin: "2026-07-28" } } } : {},
  );
  await client.connect(new TransportV2(connection.url, options));
  return {
    listToolNames: async () => (await client.listTools()).tools.map((tool) => tool.name),
    listTools: async () => (await client.listTools()).tools,
    callTool: async (name, args) => (await client.callTool({ name, arguments: args })) as ToolCallResult,
    close: () => client.close(),
  };
}

/**
 * `whoami` as `accessToken` at `origin`'s /mcp, over a fresh SDK v2 (2026-07-28) client closed
 * afterwards: who a token proves to be, or the connection error when it is refused.
 */
export async function whoamiWithToken(origin: string, accessToken: string): Promise<ToolCallResult> {
  const client = await connectClient("sdk-v2 (2026-07-28)", {
    url: new URL("/mcp", origin),
    headers: { authorization: `Bearer ${accessToken}` },
  });
  try {
    return await client.callTool("whoami", {});
  } finally {
    await client.close();
  }
}

/**
 * A {@link FetchLike} that hands requests to a Worker's fetch handler inside workerd, with the
 * `Host` header a real client would send (requests built in a Worker carry none).
 */
export function viaHandler(handle: (request: Request) => Promise<Response>): FetchLike {
  return (url, init) => {
    const request = new Request(url, init);
    request.headers.set("host", new URL(request.url).host);
    return handle(request);
  };
}

// The contract suite's OAuth path: real SDK v1 and v2 clients get their credential from an SDK
// OAuthClientProvider (not from static headers) and run the whole contract against a real HTTP
// server: mcp-core's tools behind the same `createMcpHandler` the apps use, served only to
// `Authorization: Bearer <the token>`.
import { createMcpHandler } from "agents/mcp/server";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Caller } from "../src/caller.ts";
import { buildServer } from "../src/server.ts";
import { CLIENT_KINDS, connectClient, describeMcpContract, staticTokenProvider } from "../src/testing/index.ts";
import { MemoryNotes } from "./notes-fake.ts";

const TOKEN = `provider-token-${crypto.randomUUID()}`;
const CALLER: Caller = {
  subject: "oauth-user",
  displayName: "Grace",
  clientId: "contract-client",
  issuer: "http://127.0.0.1/as",
  scopes: ["notes:read", "notes:write"],
  pattern: "oauth-contract-test",
  method: "oauth",
  expiresAt: undefined,
  tenant: "oauth|contract|oauth-user",
};
const notes = new MemoryNotes();
/** The Authorization header of every request the server saw. */
const authorizations: (string | undefined)[] = [];

const mcp = createMcpHandler(
  () => buildServer({ name: "contract-oauth", version: "1.0.0" }, { caller: CALLER, notes }),
  {
    route: "/mcp",
    allowedHostnames: ["127.0.0.1"],
  },
);

/** One request, answered the way an OAuth app's /mcp is: 401 without the token, the tools with it. */
async function handle(request: Request): Promise<Response> {
  const authorization = request.headers.get("authorization") ?? undefined;
  authorizations.push(authorization);
  if (authorization !== `Bearer ${TOKEN}`) {
    return Response.json(
      { error: "invalid_token", error_description: "unknown token" },
      { status: 401, headers: { "www-authenticate": 'Bearer error="invalid_token"' } },
    );
  }
  return mcp.fetch(request);
}

async function toRequest(req: IncomingMessage, origin: string): Promise<Request> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of req) chunks.push(chunk as Uint8Array);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === "string") headers.set(name, value);
  }
  const body = chunks.length === 0 ? null : new Blob(chunks);
  return new Request(new URL(req.url ?? "/", origin), { method: req.method ?? "GET", headers, body });
}

async function send(res: ServerResponse, response: Response): Promise<void> {
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(new Uint8Array(await response.arrayBuffer()));
}

let origin = "";
const httpServer = createServer((req, res) => {
  void toRequest(req, origin)
    .then(handle)
    .then((response) => send(res, response))
    .catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
});
beforeAll(async () => {
  await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
});
afterAll(
  () =>
    new Promise<void>((resolve) => {
      httpServer.closeAllConnections();
      httpServer.close(() => {
        resolve();
      });
    }),
);

describeMcpContract({
  label: "OAuthClientProvider",
  pattern: CALLER.pattern,
  method: CALLER.method,
  fullAccess: async () => ({ url: new URL("/mcp", origin), authProvider: () => staticTokenProvider(TOKEN) }),
  secrets: async () => [TOKEN],
});

describe("connecting through an OAuthClientProvider", () => {
  it("every request the clients sent carried the provider's token (no static headers were given)", () => {
    // Runs after the contract above (vitest keeps file order): the server saw its requests.
    expect(authorizations.length).toBeGreaterThan(30);
    expect(new Set(authorizations)).toEqual(new Set([`Bearer ${TOKEN}`]));
  });

  it.each(CLIENT_KINDS)("%s: a provider whose token the server refuses cannot connect", async (kind) => {
    const refused = connectClient(kind, {
      url: new URL("/mcp", origin),
      authProvider: () => staticTokenProvider("not-the-token"),
    });
    await expect(refused).rejects.toThrow();
    expect(authorizations).toContain("Bearer not-the-token");
  });
});

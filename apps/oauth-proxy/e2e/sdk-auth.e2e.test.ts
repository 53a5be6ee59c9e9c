// The SDK clients through their own OAuth: each SDK's auth() discovers, registers, builds the
// authorization URL and redeems the code; only the browser is ours (the headless driver, in
// `redirectToAuthorization`, as a desktop client opens a browser and listens on loopback).
import { freshAddress } from "@mcp-auth/dev-harness";
import { CLIENT_KINDS, connectClient, type ClientKind } from "@mcp-auth/mcp-core/testing";
import { HeadlessOAuthProvider } from "@mcp-auth/mcp-core/testing/node";
import { describe, expect, inject, it } from "vitest";

/** One MCP client installation signing in at dev-idp as `login`, from an address of its own. */
class HeadlessProvider extends HeadlessOAuthProvider {
  readonly address = freshAddress();
  constructor(login: string) {
    super(`sdk e2e (${login})`, { login });
  }
}

const mcpUrl = () => new URL("/mcp", inject("origin"));

/** Each installation calls from its own address, as clients on different machines do. */
const connection = (provider: HeadlessProvider) => ({
  url: mcpUrl(),
  headers: { "cf-connecting-ip": provider.address },
  authProvider: () => provider,
});

/** connect → 401 → the SDK's auth() → browser → code → auth() again → connected. */
async function connectThroughOAuth(kind: ClientKind, provider: HeadlessProvider) {
  await expect(connectClient(kind, connection(provider))).rejects.toThrow(/unauthorized/i);
  await provider.finish(kind, mcpUrl());
  return connectClient(kind, connection(provider));
}

describe.each(CLIENT_KINDS)("%s through its own OAuth", (kind) => {
  it("connects after one browser round trip, lists and calls tools as the upstream user", async () => {
    const provider = new HeadlessProvider(`sdk-${kind.replace(/\W+/g, "-")}`);
    const client = await connectThroughOAuth(kind, provider);
    try {
      expect(provider.authorizations).toHaveLength(1);
      expect(provider.authorizations[0]?.consentPagesSeen).toBe(1);
      // The challenge named notes:read as the scope to start with; that is all the client has.
      expect((await client.listToolNames()).sort()).toEqual(["echo", "notes_list", "whoami"]);
      const me = await client.callTool("whoami", {});
      expect(me.structuredContent).toMatchObject({ pattern: "oauth-proxy", method: "oauth", scopes: ["notes:read"] });
      expect(JSON.stringify(me)).not.toContain(provider.tokens()?.access_token ?? "?");
    } finally {
      await client.close();
    }
  });

  it("refreshes through auth() when the access token stops working", async () => {
    const provider = new HeadlessProvider(`refresh-${kind.replace(/\W+/g, "-")}`);
    const first = await connectThroughOAuth(kind, provider);
    await first.close();
    const before = provider.tokens();
    provider.expireAccessToken();
    // A new connection: 401 on the dead token → auth() refreshes (no browser) → connected.
    const client = await connectClient(kind, connection(provider));
    try {
      expect(provider.authorizations).toHaveLength(1);
      expect(provider.tokens()?.access_token).not.toBe(before?.access_token);
      expect(provider.tokens()?.refresh_token).not.toBe(before?.refresh_token);
      expect((await client.callTool("echo", { text: "after refresh" })).isError ?? false).toBe(false);
    } finally {
      await client.close();
    }
  });
});

describe("step-up: notes:read → notes:write", () => {
  it("SDK v2 re-authorizes on 403 insufficient_scope (our consent page again), then the write succeeds", async () => {
    const kind = "sdk-v2 (2026-07-28)";
    const provider = new HeadlessProvider("stepper-v2");
    const client = await connectThroughOAuth(kind, provider);
    try {
      // The tool is not listed, but calling it is answered 403 insufficient_scope naming
      // notes:read notes:write; the SDK starts a new authorization for that scope.
      await expect(client.callTool("notes_add", { text: "needs write" })).rejects.toThrow(/unauthorized/i);
      await provider.finish(kind, mcpUrl());
      expect(provider.authorizations).toHaveLength(2);
      expect(provider.authorizations[1]?.consentPagesSeen).toBe(1);
      expect(provider.tokens()?.scope?.split(" ").sort()).toEqual(["notes:read", "notes:write"]);
      const added = await client.callTool("notes_add", { text: "needs write" });
      expect(added.isError ?? false).toBe(false);
      const listed = await client.callTool("notes_list", {});
      expect(JSON.stringify(listed.structuredContent)).toContain("needs write");
    } finally {
      await client.close();
    }
  });

  it("SDK v1 (2025) does not step up: on 403 it refreshes (scope cannot grow) and gives up — documented", async () => {
    const kind = "sdk-v1 (2025)";
    const provider = new HeadlessProvider("stepper-v1");
    const client = await connectThroughOAuth(kind, provider);
    try {
      const before = provider.tokens();
      // SDK v1's auth() prefers the refresh token it holds over a new authorization, so the
      // retry carries the same scopes and the second 403 ends it. No browser is opened.
      await expect(client.callTool("notes_add", { text: "v1 write" })).rejects.toThrow(/403 after trying upscoping/);
      expect(provider.authorizations).toHaveLength(1);
      expect(provider.tokens()?.refresh_token).not.toBe(before?.refresh_token);
      expect(provider.tokens()?.scope).toBe("notes:read");
      // Nothing was written; what the user can do is authorize again with the wider scope.
      const listed = await client.callTool("notes_list", {});
      expect(JSON.stringify(listed.structuredContent)).not.toContain("v1 write");
    } finally {
      await client.close();
    }
  });
});

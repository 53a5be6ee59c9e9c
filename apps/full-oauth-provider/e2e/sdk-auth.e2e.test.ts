// The SDK clients through their own OAuth against this server as the identity provider: each
// SDK's auth() discovers, registers, builds the authorization URL and redeems the code; the
// browser (our login page, then our consent page) is the headless driver.
import { CLIENT_KINDS, connectClient, type ClientKind } from "@mcp-auth/mcp-core/testing";
import { describe, expect, inject, it } from "vitest";
import { HeadlessProvider } from "./flow.ts";

const account = (name: string): [string, string] => {
  const email = `${name}@example.com`;
  return [email, inject("accounts")[email] ?? ""];
};

const connection = (provider: HeadlessProvider) => ({
  url: new URL("/mcp", inject("origin")),
  headers: { "cf-connecting-ip": provider.address },
  authProvider: () => provider,
});

async function connectThroughOAuth(kind: ClientKind, provider: HeadlessProvider) {
  await expect(connectClient(kind, connection(provider))).rejects.toThrow(/unauthorized/i);
  await provider.finish(kind, new URL("/mcp", inject("origin")));
  return connectClient(kind, connection(provider));
}

describe.each(CLIENT_KINDS)("%s through its own OAuth", (kind) => {
  it("signs in on our login page, consents, and calls tools as that user; refresh works", async () => {
    const provider = new HeadlessProvider(...account(kind.startsWith("sdk-v1") ? "sdk-v1" : "sdk-v2"));
    const client = await connectThroughOAuth(kind, provider);
    try {
      expect(provider.authorizations[0]?.idpLoginsSeen).toBe(1);
      expect(provider.authorizations[0]?.consentPagesSeen).toBe(1);
      expect((await client.listToolNames()).sort()).toEqual(["echo", "notes_list", "whoami"]);
      const me = await client.callTool("whoami", {});
      expect(me.structuredContent).toMatchObject({
        pattern: "full-oauth-provider",
        method: "oauth",
        issuer: inject("origin"),
        scopes: ["notes:read"],
      });
      expect(JSON.stringify(me)).not.toContain(provider.tokens()?.access_token ?? "?");
    } finally {
      await client.close();
    }
    // The access token stops working: the next connection refreshes through auth(), no browser.
    const before = provider.tokens();
    if (before) provider.saveTokens({ ...before, access_token: "expired-access-token" });
    const again = await connectClient(kind, connection(provider));
    try {
      expect(provider.authorizations).toHaveLength(1);
      expect(provider.tokens()?.refresh_token).not.toBe(before?.refresh_token);
      expect((await again.callTool("echo", { text: "after refresh" })).isError ?? false).toBe(false);
    } finally {
      await again.close();
    }
  });
});

describe("step-up: notes:read → notes:write", () => {
  it("SDK v2 re-authorizes on 403 insufficient_scope (the consent page again, same session), then writes", async () => {
    const kind = "sdk-v2 (2026-07-28)";
    const provider = new HeadlessProvider(...account("stepper"));
    const client = await connectThroughOAuth(kind, provider);
    try {
      await expect(client.callTool("notes_add", { text: "needs write" })).rejects.toThrow(/unauthorized/i);
      await provider.finish(kind, new URL("/mcp", inject("origin")));
      expect(provider.authorizations).toHaveLength(2);
      // Still signed in: no second login, but the wider scope is asked for on the consent page.
      expect(provider.authorizations[1]?.idpLoginsSeen).toBe(0);
      expect(provider.authorizations[1]?.consentPagesSeen).toBe(1);
      expect(provider.tokens()?.scope?.split(" ").sort()).toEqual(["notes:read", "notes:write"]);
      expect((await client.callTool("notes_add", { text: "needs write" })).isError ?? false).toBe(false);
      expect(JSON.stringify((await client.callTool("notes_list", {})).structuredContent)).toContain("needs write");
    } finally {
      await client.close();
    }
  });
});

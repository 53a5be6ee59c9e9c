import { freshAddress } from "@mcp-auth/dev-harness";
import { describeConformance, forwardWithCredential } from "@mcp-auth/mcp-core/testing/node";
import { auth } from "@modelcontextprotocol/client";
import { afterAll, inject } from "vitest";
import { HeadlessProvider } from "./flow.ts";

// The MCP conformance suite (2025 and 2026-07-28) with an access token from the whole flow (SDK
// v2 auth(): registration → our login page → our consent page → code exchange): the CLI cannot
// send a credential, so a loopback proxy adds it to every request. Every scenario that applies to
// our tool set passes (the list and the reasons for the rest are in dev-harness's conformance suite).
async function accessToken(): Promise<string> {
  const email = "conformance@example.com";
  const scopes = ["notes:read", "notes:write"];
  const provider = new HeadlessProvider(email, inject("accounts")[email] ?? "", scopes);
  const serverUrl = new URL("/mcp", inject("origin"));
  if ((await auth(provider, { serverUrl, scope: scopes.join(" ") })) !== "REDIRECT")
    throw new Error("expected a redirect");
  await provider.finish("sdk-v2 (2026-07-28)", serverUrl);
  const tokens = provider.tokens();
  if (tokens === undefined) throw new Error("no tokens");
  return tokens.access_token;
}

let proxy: Promise<{ origin: string; stop: () => Promise<void> }> | undefined;
afterAll(async () => {
  await (await proxy)?.stop();
});

describeConformance("full-oauth-provider, OAuth access token", async () => {
  proxy ??= accessToken().then((token) =>
    forwardWithCredential(inject("origin"), { authorization: `Bearer ${token}`, "cf-connecting-ip": freshAddress() }),
  );
  return proxy;
});

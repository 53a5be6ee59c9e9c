import { freshAddress } from "@mcp-auth/dev-harness";
import { describeConformance, forwardWithCredential } from "@mcp-auth/mcp-core/testing/node";
import { afterAll, inject } from "vitest";
import { tokensFromFlow } from "./flow.ts";

// The MCP conformance suite (2025 and 2026-07-28) with an access token from the whole flow (SDK
// v2 auth(): registration → our login page → our consent page → code exchange): the CLI cannot
// send a credential, so a loopback proxy adds it to every request. Every scenario that applies to
// our tool set passes (the list and the reasons for the rest are in mcp-core's conformance suite).
async function accessToken(): Promise<string> {
  return (await tokensFromFlow("conformance", ["notes:read", "notes:write"])).access_token;
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

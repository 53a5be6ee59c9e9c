import { freshAddress, signIn } from "@mcp-auth/dev-harness";
import { describeConformance, forwardWithCredential } from "@mcp-auth/mcp-core/testing/node";
import { afterAll, inject } from "vitest";

// The MCP conformance suite (2025 and 2026-07-28) with an access token from the whole OAuth flow
// (registration → consent → dev-idp login → code exchange): the CLI cannot send a credential, so
// a loopback proxy adds it to every request. Every scenario that applies to our tool set passes
// (the list and the reasons for the rest are in mcp-core's conformance suite).
let proxy: Promise<{ origin: string; stop: () => Promise<void> }> | undefined;
afterAll(async () => {
  await (await proxy)?.stop();
});

describeConformance("oauth-proxy, OAuth access token", async () => {
  proxy ??= signIn(inject("origin"), { login: "conformance", scope: "notes:read notes:write" }).then(({ tokens }) =>
    forwardWithCredential(inject("origin"), {
      authorization: `Bearer ${tokens.accessToken}`,
      "cf-connecting-ip": freshAddress(),
    }),
  );
  return proxy;
});

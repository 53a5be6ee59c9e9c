import { describeConformance, forwardWithCredential } from "@mcp-auth/mcp-core/testing/node";
import { afterAll, inject } from "vitest";
import { bearer, hs256Token } from "./helpers.ts";

// The MCP conformance suite (2025 and 2026-07-28) against the "keys" instance with an HS256
// access token: the CLI cannot send a credential, so a loopback proxy adds it to every request.
// Every scenario that applies to our tool set passes (the list and the reasons for the rest are
// in mcp-core's conformance suite).
let proxy: Promise<{ origin: string; stop: () => Promise<void> }> | undefined;
afterAll(async () => {
  await (await proxy)?.stop();
});

describeConformance("token-validation, HS256 JWT", async () => {
  proxy ??= hs256Token().then((token) => forwardWithCredential(inject("keys").origin, bearer(token)));
  return proxy;
});

import { describeMcpContract } from "@mcp-auth/mcp-core/testing";
import { MCP_URL, createKey, mintJwt, viaWorker } from "./helpers.ts";

// The shared contract, once per credential type. No authorization server is configured here,
// so a missing scope is a tool error, not a 403 step-up. Keys are created per test: storage is
// isolated per test inside workerd.
const keys: string[] = [];
describeMcpContract({
  label: "API key",
  pattern: "token-validation",
  method: "api_key",
  fullAccess: async () => {
    const { key } = await createKey(["notes:read", "notes:write"]);
    keys.push(key);
    return { url: MCP_URL, fetch: viaWorker, headers: { authorization: `Bearer ${key}` } };
  },
  readOnly: {
    stepUp: false,
    connect: async () => {
      const { key } = await createKey(["notes:read"], { owner: "reader" });
      return { url: MCP_URL, fetch: viaWorker, headers: { authorization: `Bearer ${key}` } };
    },
  },
  secrets: async () => keys,
});

const tokens: string[] = [];
describeMcpContract({
  label: "JWT",
  pattern: "token-validation",
  method: "jwt",
  fullAccess: async () => {
    const token = await mintJwt();
    tokens.push(token);
    return { url: MCP_URL, fetch: viaWorker, headers: { authorization: `Bearer ${token}` } };
  },
  readOnly: {
    stepUp: false,
    connect: async () => ({
      url: MCP_URL,
      fetch: viaWorker,
      headers: { authorization: `Bearer ${await mintJwt({ scope: "notes:read" })}` },
    }),
  },
  secrets: async () => tokens,
});

import { describeMcpContract } from "@mcp-auth/mcp-core/testing";
import { inject } from "vitest";

// The same contract as in workerd, now over real HTTP to `wrangler dev`.
describeMcpContract({
  pattern: "no-auth",
  method: "anonymous",
  fullAccess: async () => ({ url: new URL("/mcp", inject("origin")) }),
});

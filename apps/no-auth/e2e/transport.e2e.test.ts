import { describeConcurrentWrites, describeTransportAttacks } from "@mcp-auth/mcp-core/testing/node";
import { inject } from "vitest";

// wrangler.jsonc: 600 requests per 60 s per address.
describeTransportAttacks({ origin: () => inject("origin"), rateLimit: 600 });
describeConcurrentWrites({ origin: () => inject("origin"), clients: 200 });

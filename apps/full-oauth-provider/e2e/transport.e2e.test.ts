import { signIn } from "@mcp-auth/dev-harness";
import { describeConcurrentWrites, describeTransportAttacks } from "@mcp-auth/mcp-core/testing/node";
import { inject } from "vitest";
import { signInAs } from "./flow.ts";

// The transport attack cases and the no-lost-write check (200 concurrent clients), with an access
// token of this server's own user obtained through the whole flow. wrangler.jsonc: 600 requests
// per 60 s per address (RATE_LIMITER); the suites give each request an address of its own except
// the flood, whose 429 is the case under test.

let signedIn: Promise<string> | undefined;
async function bearer(): Promise<Record<string, string>> {
  signedIn ??= signIn(inject("origin"), {
    ...signInAs(inject("accounts"), "transport-suite"),
    scope: "notes:read notes:write",
  }).then(({ tokens }) => tokens.accessToken);
  return { authorization: `Bearer ${await signedIn}` };
}

describeTransportAttacks({ origin: () => inject("origin"), headers: bearer, rateLimit: 600 });

describeConcurrentWrites({ origin: () => inject("origin"), headers: bearer, clients: 200 });

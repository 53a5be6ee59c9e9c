import { describeConcurrentWrites, describeTransportAttacks } from "@mcp-auth/mcp-core/testing/node";
import { inject } from "vitest";
import { signIn } from "@mcp-auth/dev-harness";

// The transport attack cases and the no-lost-write check, with an OAuth access token obtained
// through the whole flow (registration → consent → dev-idp login → code exchange).
// wrangler.jsonc: 600 requests per 60 s per address (RATE_LIMITER); the suites give each request
// an address of its own except the flood, whose 429 is the case under test.

/** One sign-in for the file: both suites write notes, so the token carries notes:write. */
let signedIn: Promise<string> | undefined;
async function bearer(): Promise<Record<string, string>> {
  signedIn ??= signIn(inject("origin"), { login: "transport-suite", scope: "notes:read notes:write" }).then(
    ({ tokens }) => tokens.accessToken,
  );
  // Only the credential: the suites set each request's address themselves.
  return { authorization: `Bearer ${await signedIn}` };
}

describeTransportAttacks({ origin: () => inject("origin"), headers: bearer, rateLimit: 600 });

describeConcurrentWrites({ origin: () => inject("origin"), headers: bearer, clients: 200 });

import { describeMcpContract, type Connection } from "@mcp-auth/mcp-core/testing";
import { inject } from "vitest";
import { signIn, type Tokens } from "@mcp-auth/dev-harness";

// The shared MCP contract over real HTTP with tokens obtained through the whole OAuth flow
// (registration → consent → dev-idp login → code exchange), once with both scopes and once
// with notes:read only (the step-up case).

const issued: string[] = [];
/** One sign-in per role for the whole file: tokens live an hour, the flow takes a few round trips. */
const signedIn: Record<string, Promise<Tokens> | undefined> = {};
async function connectAs(login: string, scope: string): Promise<Connection> {
  signedIn[login] ??= signIn(inject("origin"), { login, scope }).then(({ tokens }) => {
    issued.push(tokens.accessToken, tokens.refreshToken);
    return tokens;
  });
  const tokens = await signedIn[login];
  return { url: new URL("/mcp", inject("origin")), headers: { authorization: `Bearer ${tokens.accessToken}` } };
}

describeMcpContract({
  label: "OAuth (dev-idp upstream)",
  pattern: "oauth-proxy",
  method: "oauth",
  fullAccess: () => connectAs("contract-writer", "notes:read notes:write"),
  readOnly: { stepUp: true, connect: () => connectAs("contract-reader", "notes:read") },
  secrets: async () => issued,
});

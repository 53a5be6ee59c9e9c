import { describeMcpContract, type Connection } from "@mcp-auth/mcp-core/testing";
import { inject } from "vitest";
import { tokensFromFlow } from "./flow.ts";

// The shared MCP contract over real HTTP with tokens obtained through the whole flow (SDK v2
// auth(): registration → our login page → our consent page → code exchange), once with both
// scopes and once with notes:read only (the step-up case).

const issued: string[] = [];
const signedIn: Record<string, Promise<string> | undefined> = {};

async function accessToken(name: string, scopes: string[]): Promise<string> {
  const tokens = await tokensFromFlow(name, scopes);
  issued.push(tokens.access_token, tokens.refresh_token ?? "");
  return tokens.access_token;
}

async function connectAs(name: string, scopes: string[]): Promise<Connection> {
  signedIn[name] ??= accessToken(name, scopes);
  return { url: new URL("/mcp", inject("origin")), headers: { authorization: `Bearer ${await signedIn[name]}` } };
}

describeMcpContract({
  label: "OAuth (this server's own users)",
  pattern: "full-oauth-provider",
  method: "oauth",
  fullAccess: () => connectAs("contract-writer", ["notes:read", "notes:write"]),
  readOnly: { stepUp: true, connect: () => connectAs("contract-reader", ["notes:read"]) },
  secrets: async () => issued.filter((secret) => secret !== ""),
});

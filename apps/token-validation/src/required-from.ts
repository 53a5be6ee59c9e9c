import { withSunset, type Sunset } from "@mcp-auth/auth-common";
import { callerFromAuthInfo, type ToolNotice } from "@mcp-auth/mcp-core";
import type { AuthInfo } from "@modelcontextprotocol/server";
import type { AuthMethod, Config } from "./config.ts";

const CREDENTIAL_NAMES: Record<AuthMethod, string> = {
  api_key: "API key",
  jwt: "token",
  access: "Cloudflare Access sign-in",
  introspection: "token",
  mtls: "client certificate",
};

/** How an anonymous caller is told that credentials become required (`AUTH_REQUIRED_FROM`). */
export interface RequiredFromNotice {
  /** The line after every successful tool result of an anonymous caller. */
  toolNotice: ToolNotice;
  /** The MCP answer, with Deprecation, Sunset and the sunset link when the caller is anonymous. */
  mark(request: Request, authInfo: AuthInfo, response: Response): Response;
}

/** The notice for `AUTH_REQUIRED_FROM`, or `undefined` when it is unset (nothing is announced). */
export function requiredFromNotice(config: Config): RequiredFromNotice | undefined {
  const day = config.AUTH_REQUIRED_FROM;
  if (day === undefined) return undefined;
  const names = [...new Set(config.AUTH_METHODS.map((method) => CREDENTIAL_NAMES[method]))];
  const text =
    `This server requires a credential from ${day} (${names.join(" or ")}). ` +
    `Ask its operator for ${names.includes("API key") ? "an API key" : "one"}; until then you are served as an anonymous caller.`;
  const date = new Date(`${day}T00:00:00Z`);
  return {
    toolNotice: (caller) => (caller.method === "anonymous" ? text : undefined),
    mark(request, authInfo, response) {
      if (callerFromAuthInfo(authInfo).method !== "anonymous") return response;
      // The landing page says what changes and how to get a credential: the sunset policy.
      const sunset: Sunset = { date, policy: new URL("/", request.url) };
      return withSunset(response, sunset);
    },
  };
}

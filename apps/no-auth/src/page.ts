import type { LandingPageContent } from "@mcp-auth/auth-common";
import { TOOLS } from "@mcp-auth/mcp-core";
import type { Config } from "./config.ts";

/** What the `GET /` page says about this pattern. */
export function pageContent(config: Config): LandingPageContent {
  return {
    pattern: "no-auth",
    tools: TOOLS,
    title: "No authentication",
    summary:
      "Anyone who can reach this URL can use its tools. Every caller is the same anonymous subject and shares one notebook.",
    howItWorks: [
      "The caller proves nothing. The server gives every request the anonymous identity with the scopes in ANONYMOUS_SCOPES.",
      "Host and Origin headers are checked on every request (DNS-rebinding protection): a web page on another site cannot drive the server through a browser.",
      "Each client address is rate-limited, and request bodies are capped in size and nesting depth.",
    ],
    risks: [
      "No identity: you cannot tell callers apart, revoke one of them, or audit who did what. Use it for public, read-mostly tools or local development only.",
      "Shared state: every caller reads and writes the same notes. Set ANONYMOUS_SCOPES=notes:read to make a public deployment read-only.",
      "Cost and abuse: anyone can spend your Worker's requests; the per-address rate limit is the only brake.",
      "The MCP specification says servers SHOULD authenticate all connections; this pattern knowingly does not. Move to token-validation when you need to know who calls.",
    ],
    settings: [
      ["ANONYMOUS_SCOPES", config.ANONYMOUS_SCOPES.join(" ")],
      ["ALLOWED_HOSTNAMES", config.ALLOWED_HOSTNAMES.join(", ") || "(loopback only)"],
      ["ALLOWED_ORIGINS", config.ALLOWED_ORIGINS.join(", ") || "(same hosts only)"],
    ],
  };
}

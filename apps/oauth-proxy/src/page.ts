import type { LandingPageContent } from "@mcp-auth/auth-common";
import { TOOLS } from "@mcp-auth/mcp-core";
import type { Config } from "./config.ts";

/** How the consent page and the landing page name the upstream identity provider. */
export function upstreamName(config: Config): string {
  switch (config.UPSTREAM) {
    case "github":
      return config.GITHUB_BASE_URL === undefined ? "GitHub" : new URL(config.GITHUB_BASE_URL).host;
    case "google":
      return "Google";
    case "entra":
      return "Microsoft Entra ID";
    case "oidc":
      return new URL(config.UPSTREAM_ISSUER ?? config.PUBLIC_ORIGIN).host;
  }
}

/** What the `GET /` page says about this pattern. */
export function pageContent(config: Config): LandingPageContent {
  const idp = upstreamName(config);
  return {
    pattern: "oauth-proxy",
    tools: TOOLS,
    signIn: true,
    title: "OAuth proxy",
    summary: `This server is the OAuth 2.1 authorization server MCP clients see. People sign in at ${idp}; clients get this server's own tokens, never ${idp}'s.`,
    howItWorks: [
      "The client calls /mcp without a token and gets 401 with a WWW-Authenticate challenge naming this server's protected-resource metadata and the scope to start with (notes:read).",
      "It discovers the authorization server (this origin), registers itself (dynamic registration, or a Client ID Metadata Document URL) and opens /authorize in the browser with PKCE.",
      "You see this server's consent page for that client — its name, where access is sent, the scopes — before anything happens at the identity provider.",
      `After Allow you sign in at ${idp} (PKCE, state, nonce). This server keeps ${idp}'s token encrypted inside the grant and issues its own token to the client.`,
      "The client calls the tools with that token. Asking for notes:write later brings you back to the consent page (step-up); revoking the app at the identity provider ends the grant at the next refresh.",
    ],
    risks: [
      "Confused deputy: every client reaches the identity provider through this one OAuth app. Consent is asked per client, before the upstream redirect, on a page that cannot be framed or forged.",
      "Client names are self-asserted: the page says so and shows the redirect host, with a warning for apps on your own computer.",
      "The upstream token never leaves the Worker: not to a tool, not to a log line, not to the client. The client's token is never sent upstream.",
      "The library keeps its state in KV, which is eventually consistent across locations; two simultaneous refreshes of one grant race (their calls to the identity provider do not: one at a time per grant), and reuse of a superseded refresh token is not detected beyond the library's one-step grace. See the README.",
      `Revoking this app at ${idp} is seen at the next refresh, which ends the grant with its tokens; until then an access token already issued keeps working (at most an hour).`,
    ],
    settings: [
      ["PUBLIC_ORIGIN", config.PUBLIC_ORIGIN],
      ["UPSTREAM", config.UPSTREAM],
      ["Identity provider", idp],
      ["ALLOWED_ORIGINS", config.ALLOWED_ORIGINS.join(", ") || "(same host only)"],
    ],
  };
}

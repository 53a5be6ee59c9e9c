import type { LandingPageContent } from "@mcp-auth/auth-common";
import { TOOLS } from "@mcp-auth/mcp-core";
import type { Config } from "./config.ts";

/** What the `GET /` page says about this pattern; `devAccount` when the dev seed is in use. */
export function pageContent(config: Config, devAccount?: { email: string; password: string }): LandingPageContent {
  return {
    pattern: "full-oauth-provider",
    tools: TOOLS,
    signIn: true,
    title: "Full OAuth provider",
    summary:
      "This Worker is the identity provider and the OAuth 2.1 authorization server: people have accounts here (D1), sign in on this server's own page, and approve each MCP client on its consent page.",
    howItWorks: [
      "The client calls /mcp without a token and gets 401 with a WWW-Authenticate challenge naming this server's protected-resource metadata and the scope to start with (notes:read).",
      "It discovers the authorization server (this origin), registers itself (dynamic registration, or a Client ID Metadata Document URL) and opens /authorize in the browser with PKCE.",
      "You sign in here with a passkey (no email to type) or your email and password; the session is a __Host- cookie whose id is stored only as a hash.",
      "The consent page shows the client's name (self-asserted unless verified), where access is sent and the scopes to choose. Allow issues a code to the client; the approval is remembered for the same client and scopes until you revoke the app, but never replaces a connected app's access without the page unless you opened the request yourself.",
      "The client calls the tools as you. Asking for notes:write later brings the consent page back (step-up). /account lists your connected apps (Revoke ends one at once) and your passkeys; a disabled account's tokens stop at its next request and its refresh is refused.",
    ],
    risks: [
      "Passwords: PBKDF2-SHA256 at 100,000 iterations (the most production Workers allow) over an HMAC with a secret pepper, so a stolen database alone cannot be cracked offline. Unknown email and wrong password get the same answer, after the same work.",
      "Brute force: sign-in attempts are limited per address and per account (429 with Retry-After), and every attempt is in the audit log.",
      "Every form (sign-in, consent, sign-out, revoke, passkeys) must come from this origin and carry a token bound to the browser's session: no login CSRF, no forged consent. Sign-in always starts a new session id.",
      "Passkeys: the server checks the origin, the relying party, a single-use challenge and the signature counter; an assertion relayed through another site or replayed signs nobody in.",
      "The library keeps clients, grants and tokens in KV, which is eventually consistent across locations. See the README for what that means for revocation.",
    ],
    credentials: [
      ...(devAccount === undefined
        ? []
        : [
            {
              how: `Dev sign-in (the account pnpm dev seeded; local only): ${devAccount.email} / ${devAccount.password}`,
            },
          ]),
      {
        how: "An admin adds an account (a password is generated and printed once); you then add a passkey on /account.",
        command: 'npm run users -- add --email you@example.com --name "Your Name"',
      },
      {
        how: "Or an admin invites you: the one-time link it prints lets you choose your own password or a passkey.",
        command: 'npm run users -- invite --email you@example.com --name "Your Name"',
      },
    ],
    settings: [
      ["PUBLIC_ORIGIN", config.PUBLIC_ORIGIN],
      ["ALLOWED_ORIGINS", config.ALLOWED_ORIGINS.join(", ") || "(same host only)"],
    ],
  };
}

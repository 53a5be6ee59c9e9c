// A client's side of the flow against the running app: the shared headless OAuth provider (the
// SDK's auth(), the driver as its browser), signing in on this server's own login page.
import { HeadlessBrowser, freshAddress } from "@mcp-auth/dev-harness";
import { HeadlessOAuthProvider } from "@mcp-auth/mcp-core/testing/node";
import { auth, type OAuthTokens } from "@modelcontextprotocol/client";
import { inject } from "vitest";

/**
 * One MCP client installation signing `email` in on this server's login page, from an address
 * of its own (sign-ins are limited per address); `scopes` are ticked on the consent page.
 */
export class HeadlessProvider extends HeadlessOAuthProvider {
  readonly address: string;
  constructor(email: string, password: string, scopes?: string[], address = freshAddress()) {
    super(
      `e2e (${email})`,
      {
        login: email,
        password,
        ...(scopes === undefined ? {} : { consent: { decision: "approve" as const, scopes } }),
      },
      browserFrom(address),
    );
    this.address = address;
  }
}

/**
 * A headless browser whose requests come from an address of its own (`CF-Connecting-IP`, which
 * `wrangler dev` passes through): sign-ins are limited per address, and the e2e files sign in
 * many accounts within a minute, as people on different machines would.
 */
export function browserFrom(address = freshAddress()): HeadlessBrowser {
  return new HeadlessBrowser({
    fetch: (url, init) => {
      const headers = new Headers(init?.headers);
      headers.set("cf-connecting-ip", address);
      return fetch(url, { ...init, headers });
    },
  });
}

/** The browser options that sign `name@example.com` in with its e2e password. */
export function signInAs(accounts: Record<string, string>, name: string) {
  const email = `${name}@example.com`;
  const password = accounts[email];
  if (password === undefined) throw new Error(`no e2e account ${email}: add it to global-setup's ACCOUNTS`);
  return { login: email, password, browser: browserFrom() };
}

/**
 * The tokens `provider` gets through the whole flow as SDK v2's auth() runs it: registration →
 * our login page → our consent page → code exchange; `scopes` asked for when given.
 */
export async function signInThroughSdk(provider: HeadlessProvider, scopes?: string[]): Promise<OAuthTokens> {
  const serverUrl = new URL("/mcp", inject("origin"));
  const asked = scopes === undefined ? {} : { scope: scopes.join(" ") };
  if ((await auth(provider, { serverUrl, ...asked })) !== "REDIRECT") throw new Error("expected a redirect");
  await provider.finish("sdk-v2 (2026-07-28)", serverUrl);
  const tokens = provider.tokens();
  if (tokens === undefined) throw new Error("no tokens");
  return tokens;
}

/** The tokens `name@example.com` (an e2e account) gets for `scopes` through the whole flow. */
export function tokensFromFlow(name: string, scopes: string[]): Promise<OAuthTokens> {
  const email = `${name}@example.com`;
  return signInThroughSdk(new HeadlessProvider(email, inject("accounts")[email] ?? "", scopes), scopes);
}

// A client's side of the flow against the running app: the SDK's OAuth provider interface with
// the headless driver as its browser, signing in on our own login page.
import { HeadlessBrowser, authorizeHeadlessly, type AuthorizeResult } from "@mcp-auth/dev-harness";
import type { ContractOAuthProvider } from "@mcp-auth/mcp-core/testing";

type ProviderTokens = Awaited<ReturnType<NonNullable<ContractOAuthProvider["tokens"]>>>;
type ClientInformation = Awaited<ReturnType<ContractOAuthProvider["clientInformation"]>>;

let nextAddress = Math.floor(Math.random() * 60_000);
/** A client address nobody else in the run uses (registration is limited per address). */
export function freshAddress(): string {
  nextAddress = (nextAddress + 1) % 64_000;
  return `198.18.${Math.floor(nextAddress / 250)}.${(nextAddress % 250) + 1}`;
}

/** One MCP client installation: its registration, PKCE verifier, tokens and a headless browser. */
export class HeadlessProvider implements ContractOAuthProvider {
  readonly redirectUrl = "http://127.0.0.1:33419/callback";
  readonly browser: HeadlessBrowser;
  readonly address = freshAddress();
  authorizations: AuthorizeResult[] = [];
  pending: Promise<AuthorizeResult> | undefined;
  private info: ClientInformation;
  private saved: ProviderTokens | undefined;
  private verifier = "";
  private readonly email: string;
  private readonly password: string;
  private readonly scopes: string[] | undefined;

  constructor(email: string, password: string, scopes?: string[]) {
    this.browser = browserFrom(this.address);
    this.email = email;
    this.password = password;
    this.scopes = scopes;
  }

  get clientMetadata() {
    return {
      client_name: `e2e (${this.email})`,
      redirect_uris: [this.redirectUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: NonNullable<ClientInformation>) {
    this.info = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: NonNullable<ProviderTokens>) {
    this.saved = tokens;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
  /** "Opens the browser": the driver signs in on our login page, then answers our consent page. */
  redirectToAuthorization(url: URL) {
    this.pending = authorizeHeadlessly({
      authorizationUrl: url,
      redirectUri: this.redirectUrl,
      login: this.email,
      password: this.password,
      browser: this.browser,
      ...(this.scopes === undefined ? {} : { consent: { decision: "approve" as const, scopes: this.scopes } }),
    });
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

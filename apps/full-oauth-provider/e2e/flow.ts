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
  readonly browser = new HeadlessBrowser();
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

// An MCP client installation that signs in through its SDK's own auth(): registration, PKCE and
// tokens are the SDK's; only the browser is the harness's headless driver (as a desktop client
// opens a browser and listens on loopback). Both OAuth apps' e2e suites use it.
import {
  HeadlessBrowser,
  authorizeHeadlessly,
  type AuthorizeOptions,
  type AuthorizeResult,
} from "@mcp-auth/dev-harness";
import { auth as authV2 } from "@modelcontextprotocol/client";
import { auth as authV1 } from "@modelcontextprotocol/sdk/client/auth.js";
import type { ClientKind, ContractOAuthProvider } from "../clients.ts";

type ProviderTokens = Awaited<ReturnType<NonNullable<ContractOAuthProvider["tokens"]>>>;
type ClientInformation = Awaited<ReturnType<ContractOAuthProvider["clientInformation"]>>;

/** How the browser answers the login and consent pages (everything but the URLs and the browser). */
export type BrowserAnswers = Omit<AuthorizeOptions, "authorizationUrl" | "redirectUri" | "browser">;

/** One client installation: its registration, PKCE verifier, tokens, and a headless browser. */
export class HeadlessOAuthProvider implements ContractOAuthProvider {
  readonly redirectUrl = "http://127.0.0.1:33419/callback";
  readonly browser: HeadlessBrowser;
  /** Every authorization the browser went through, in order. */
  readonly authorizations: AuthorizeResult[] = [];
  private pending: Promise<AuthorizeResult> | undefined;
  private info: ClientInformation;
  private saved: ProviderTokens | undefined;
  private verifier = "";
  private readonly name: string;
  private readonly answers: BrowserAnswers;

  /**
   * @param name shown as the client's name
   * @param answers how the browser signs in and consents
   * @param browser the browser (default a fresh one; pass one that sends a client address)
   */
  constructor(name: string, answers: BrowserAnswers = {}, browser: HeadlessBrowser = new HeadlessBrowser()) {
    this.name = name;
    this.answers = answers;
    this.browser = browser;
  }

  get clientMetadata() {
    return {
      client_name: this.name,
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
  /** "Opens the browser": the driver answers the pages until the redirect to `redirectUrl`. */
  redirectToAuthorization(url: URL) {
    this.pending = authorizeHeadlessly({
      ...this.answers,
      authorizationUrl: url,
      redirectUri: this.redirectUrl,
      browser: this.browser,
    });
  }

  /** The browser's way back: the redirect the last authorization ended with. */
  async callback(): Promise<URL> {
    if (this.pending === undefined) throw new Error("no authorization was started");
    const result = await this.pending;
    this.pending = undefined;
    this.authorizations.push(result);
    return result.callback;
  }

  /** What the client does when the browser comes back: redeem the code through its SDK's auth(). */
  async finish(kind: ClientKind, serverUrl: URL): Promise<void> {
    const callback = await this.callback();
    const code = callback.searchParams.get("code");
    if (code === null) throw new Error(`the authorization failed: ${callback.search}`);
    const outcome =
      kind === "sdk-v1 (2025)"
        ? await authV1(this, { serverUrl, authorizationCode: code })
        : await authV2(this, {
            serverUrl,
            authorizationCode: code,
            iss: callback.searchParams.get("iss") ?? undefined,
          });
    if (outcome !== "AUTHORIZED") throw new Error(`${kind} auth() answered ${outcome}`);
  }

  /** Forget the access token so the next call must use the refresh token. */
  expireAccessToken() {
    if (this.saved) this.saved = { ...this.saved, access_token: "expired-access-token" };
  }
}

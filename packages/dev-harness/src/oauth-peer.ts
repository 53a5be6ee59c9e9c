// The strict OAuth peer of the OAuth apps' e2e suites: oauth4webapi drives discovery,
// registration, the code exchange, refresh and revocation against the app; the headless driver
// plays the browser (a login form — ours or dev-idp's — and our consent page) with one cookie jar
// per origin.
import * as oauth from "oauth4webapi";
import { freshAddress } from "./limits.ts";
import { authorizeHeadlessly, type AuthorizeOptions, type HeadlessBrowser } from "./oauth-driver.ts";

/** Our server is plain http on localhost in tests; oauth4webapi refuses that unless told. */
// eslint-disable-next-line @typescript-eslint/no-deprecated -- deprecated to stand out; tests talk to http://localhost only
export const insecure = { [oauth.allowInsecureRequests]: true } as const;

export interface Peer {
  as: oauth.AuthorizationServer;
  client: oauth.Client;
  resource: string;
  redirectUri: string;
}

export interface Tokens {
  accessToken: string;
  refreshToken: string;
  scope: string;
}

/** Resource discovery from the 401 challenge's metadata, then AS metadata with the issuer checked exactly. */
export async function discover(origin: string): Promise<{ as: oauth.AuthorizationServer; resource: string }> {
  const resource = `${origin}/mcp`;
  const rs = await oauth.processResourceDiscoveryResponse(
    new URL(resource),
    await oauth.resourceDiscoveryRequest(new URL(resource), insecure),
  );
  const issuer = new URL(rs.authorization_servers?.[0] ?? "");
  const as = await oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { ...insecure, algorithm: "oauth2" }),
  );
  return { as, resource };
}

/** Dynamic registration of a public client (PKCE, no secret), as MCP clients register, from its own address. */
export function register(
  origin: string,
  metadata: Partial<oauth.OmitSymbolProperties<oauth.Client>> = {},
): Promise<Peer> {
  return registerFrom(origin, freshAddress(), metadata);
}

export interface AuthorizeRequest {
  scope?: string;
  state?: string;
  codeVerifier?: string;
  /** Parameters to add or override on the authorization URL (attack cases). */
  extra?: Record<string, string>;
}

/** The authorization URL a client builds: PKCE S256, state, resource, scope. */
export async function authorizationUrl(peer: Peer, request: AuthorizeRequest = {}) {
  const codeVerifier = request.codeVerifier ?? oauth.generateRandomCodeVerifier();
  const state = request.state ?? oauth.generateRandomState();
  const url = new URL(peer.as.authorization_endpoint ?? "");
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", peer.client.client_id);
  url.searchParams.set("redirect_uri", peer.redirectUri);
  url.searchParams.set("code_challenge", await oauth.calculatePKCECodeChallenge(codeVerifier));
  url.searchParams.set("code_challenge_method", "S256");
  url.searchParams.set("state", state);
  url.searchParams.set("resource", peer.resource);
  url.searchParams.set("scope", request.scope ?? "notes:read");
  for (const [name, value] of Object.entries(request.extra ?? {})) url.searchParams.set(name, value);
  return { url, state, codeVerifier };
}

/** The browser part: sign-in and consent, back to the client's redirect URI. */
export async function authorize(
  peer: Peer,
  request: AuthorizeRequest = {},
  browser: Omit<AuthorizeOptions, "authorizationUrl" | "redirectUri"> = {},
) {
  const { url, state, codeVerifier } = await authorizationUrl(peer, request);
  const result = await authorizeHeadlessly({ ...browser, authorizationUrl: url, redirectUri: peer.redirectUri });
  return { ...result, state, codeVerifier };
}

/** Validates the callback (state, RFC 9207 iss) and redeems the code with PKCE. */
export async function exchange(peer: Peer, callback: URL, state: string, codeVerifier: string): Promise<Tokens> {
  const params = oauth.validateAuthResponse(peer.as, peer.client, callback, state);
  const response = await oauth.authorizationCodeGrantRequest(
    peer.as,
    peer.client,
    oauth.None(),
    params,
    peer.redirectUri,
    codeVerifier,
    { ...insecure, additionalParameters: { resource: peer.resource } },
  );
  return tokensOf(await oauth.processAuthorizationCodeResponse(peer.as, peer.client, response));
}

/** Everything from registration to tokens, for tests about what comes after. */
export async function signIn(
  origin: string,
  options: { login?: string; password?: string; scope?: string; browser?: HeadlessBrowser } = {},
): Promise<{ peer: Peer; tokens: Tokens }> {
  const peer = await register(origin);
  const flow = await authorize(peer, options.scope === undefined ? {} : { scope: options.scope }, {
    login: options.login ?? "alice",
    ...(options.password === undefined ? {} : { password: options.password }),
    ...(options.browser === undefined ? {} : { browser: options.browser }),
    ...(options.scope === undefined ? {} : { consent: { decision: "approve", scopes: options.scope.split(" ") } }),
  });
  return { peer, tokens: await exchange(peer, flow.callback, flow.state, flow.codeVerifier) };
}

export async function refresh(peer: Peer, refreshToken: string): Promise<Tokens> {
  const response = await oauth.refreshTokenGrantRequest(peer.as, peer.client, oauth.None(), refreshToken, insecure);
  return tokensOf(await oauth.processRefreshTokenResponse(peer.as, peer.client, response));
}

export async function revoke(peer: Peer, token: string): Promise<void> {
  await oauth.processRevocationResponse(
    await oauth.revocationRequest(peer.as, peer.client, oauth.None(), token, insecure),
  );
}

function tokensOf(response: oauth.TokenEndpointResponse): Tokens {
  if (response.refresh_token === undefined) throw new Error("the token response has no refresh_token");
  return { accessToken: response.access_token, refreshToken: response.refresh_token, scope: response.scope ?? "" };
}

/** A raw token-endpoint call, for attack cases that a well-behaved peer would never send. */
export async function tokenRequest(peer: Peer, body: Record<string, string>, headers: Record<string, string> = {}) {
  const response = await fetch(peer.as.token_endpoint ?? "", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(body),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

/**
 * {@link register}, sent from a given client address (`CF-Connecting-IP`, which `wrangler dev`
 * passes through). Registrations are limited per address (10 a minute), and the e2e files run
 * one after another against one server: a file that registers several clients gives them their
 * own addresses so it never spends, or runs out of, another file's allowance.
 */
export async function registerFrom(
  origin: string,
  address: string,
  metadata: Partial<oauth.OmitSymbolProperties<oauth.Client>> = {},
): Promise<Peer> {
  const { as, resource } = await discover(origin);
  const redirectUri = "http://127.0.0.1:33418/callback";
  const client = await oauth.processDynamicClientRegistrationResponse(
    await oauth.dynamicClientRegistrationRequest(
      as,
      {
        client_name: "e2e strict peer",
        redirect_uris: [redirectUri],
        token_endpoint_auth_method: "none",
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        ...metadata,
      },
      { ...insecure, headers: { "cf-connecting-ip": address } },
    ),
  );
  return { as, client, resource, redirectUri };
}

/** A raw JSON-RPC POST to `<at>/mcp` (tools/list unless told), with our token when given. */
export function postMcp(
  at: string,
  accessToken?: string,
  message: object = { jsonrpc: "2.0", id: 1, method: "tools/list" },
): Promise<Response> {
  return fetch(new URL("/mcp", at), {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...(accessToken === undefined ? {} : { authorization: `Bearer ${accessToken}` }),
    },
    body: JSON.stringify(message),
  });
}

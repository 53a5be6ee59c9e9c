// An OAuth access token for a target that is an OAuth 2.1 authorization server (oauth-proxy),
// obtained the way an MCP client obtains one, with plain fetch: discovery from the 401, dynamic
// registration, PKCE, our consent page and the upstream login (played by the headless driver),
// the code exchange. The time to the first tool call is part of the report.
import {
  HeadlessBrowser,
  authorizeHeadlessly,
  bearerChallenge,
  runToCompletion,
  wranglerEnv,
} from "@mcp-auth/dev-harness";
import { createHash, randomBytes } from "node:crypto";
import { join } from "node:path";
import type { Credential, CredentialContext } from "./credentials.ts";
import { callEcho } from "./load.ts";

/** Never fetched: the driver stops at a redirect here and hands back the code. */
const REDIRECT_URI = "http://127.0.0.1:33418/callback";

const MCP_HEADERS = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
  "mcp-protocol-version": "2025-06-18",
};

/** A JSON object from a response, or an error naming the step and the status. */
async function jsonOf(step: string, response: Response, status: number): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const object = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : undefined;
  if (response.status !== status || object === undefined) {
    // Only the OAuth error code and description: a token endpoint's body is never echoed whole.
    const error = object === undefined ? "" : ` ${String(object["error"])}: ${String(object["error_description"])}`;
    throw new Error(`OAuth flow, ${step}: HTTP ${response.status}, expected ${status}${error}`);
  }
  return object;
}

function stringField(step: string, object: Record<string, unknown>, name: string): string {
  const value = object[name];
  if (typeof value !== "string" || value === "") throw new Error(`OAuth flow, ${step}: no "${name}"`);
  return value;
}

/** The phases of one flow, in milliseconds (sign-in: login pages; consent: the rest of the browser's part). */
export interface FlowPhases {
  discovery: number;
  registration: number;
  "sign-in": number;
  consent: number;
  token: number;
  "first call": number;
}

/** What one run of the flow gave. */
export interface FlowResult {
  accessToken: string;
  refreshToken: string | undefined;
  /** The code the token was exchanged for (already used): for a replay check. */
  code: string;
  clientId: string;
  tokenEndpoint: string;
  redirectUri: string;
  codeVerifier: string;
  resource: string;
  /** From the first unauthenticated POST /mcp to the first successful `echo` with the token. */
  ms: number;
  phases: FlowPhases;
  /** Requests the headless browser made (our pages, dev-idp's, the redirects). */
  browserSteps: number;
  /** The browser, signed in at the authorization server (and upstream): for the account page. */
  browser: HeadlessBrowser;
}

/** A sign-in page's request (ours, or dev-idp's login interaction), as opposed to consent and redirects. */
function isSignIn(url: URL): boolean {
  return /\/login\b|\/interaction\/[^/]+(\/login)?$/.test(url.pathname) && !url.pathname.endsWith("/confirm");
}

/**
 * The whole flow once against `origin` (the server's public origin), as an MCP client runs it.
 *
 * Checks on the way: the 401 names `resource_metadata`; the metadata names this resource and an
 * authorization server whose RFC 8414 metadata carries its own issuer and S256; registration
 * answers 201 with a client id; the callback has no `error`, our `state` and (RFC 9207) the
 * issuer; the token response is a Bearer token carrying every scope asked for; `echo` answers.
 */
export async function runFlow(
  origin: string,
  scopes: readonly string[],
  signIn: { login: string; password: string } | undefined,
): Promise<FlowResult> {
  const started = performance.now();
  let mark = started;
  /** Milliseconds since the last phase ended. */
  const lap = () => {
    const now = performance.now();
    const ms = now - mark;
    mark = now;
    return ms;
  };
  const resource = `${origin}/mcp`;
  const unauthenticated = await fetch(resource, {
    method: "POST",
    headers: MCP_HEADERS,
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "echo", arguments: {} } }),
  });
  await unauthenticated.body?.cancel();
  if (unauthenticated.status !== 401) {
    throw new Error(`OAuth flow, POST /mcp without a token: HTTP ${unauthenticated.status}, expected 401`);
  }
  const metadataUrl = bearerChallenge(unauthenticated.headers.get("www-authenticate"))?.params["resource_metadata"];
  if (metadataUrl === undefined) throw new Error("OAuth flow: the 401 has no Bearer resource_metadata");

  const prm = await jsonOf("protected resource metadata", await fetch(metadataUrl), 200);
  if (prm["resource"] !== resource) {
    throw new Error(`OAuth flow: the metadata is for ${String(prm["resource"])}, not ${resource}`);
  }
  const servers = prm["authorization_servers"];
  const issuer = Array.isArray(servers) && typeof servers[0] === "string" ? servers[0] : undefined;
  if (issuer === undefined) throw new Error("OAuth flow: the metadata names no authorization server");

  // RFC 8414 §3.1: the well-known segment goes between the issuer's host and its path, if any.
  const issuerUrl = new URL(issuer);
  const issuerPath = issuerUrl.pathname === "/" ? "" : issuerUrl.pathname;
  const as = await jsonOf(
    "authorization server metadata",
    await fetch(`${issuerUrl.origin}/.well-known/oauth-authorization-server${issuerPath}`),
    200,
  );
  if (as["issuer"] !== issuer) throw new Error(`OAuth flow: AS metadata issuer ${String(as["issuer"])} != ${issuer}`);
  const methods = as["code_challenge_methods_supported"];
  if (!Array.isArray(methods) || !methods.includes("S256")) throw new Error("OAuth flow: the AS does not offer S256");
  const registrationEndpoint = stringField("AS metadata", as, "registration_endpoint");
  const authorizationEndpoint = stringField("AS metadata", as, "authorization_endpoint");
  const tokenEndpoint = stringField("AS metadata", as, "token_endpoint");
  const discovery = lap();

  const registration = JSON.stringify({
    client_name: "mcp-auth benchmark",
    redirect_uris: [REDIRECT_URI],
    token_endpoint_auth_method: "none",
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
  });
  const client = await jsonOf(
    "registration",
    await fetch(registrationEndpoint, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: registration,
    }),
    201,
  );
  const clientId = stringField("registration", client, "client_id");
  const registration_ = lap();

  // RFC 7636 §4.1-4.2: 32 random octets, base64url; S256 challenge of that.
  const codeVerifier = randomBytes(32).toString("base64url");
  const state = randomBytes(16).toString("base64url");
  const authorizationUrl = new URL(authorizationEndpoint);
  for (const [name, value] of Object.entries({
    response_type: "code",
    client_id: clientId,
    redirect_uri: REDIRECT_URI,
    code_challenge: createHash("sha256").update(codeVerifier).digest("base64url"),
    code_challenge_method: "S256",
    scope: scopes.join(" "),
    state,
    resource,
  })) {
    authorizationUrl.searchParams.set(name, value);
  }
  // The browser's requests, timed one by one: login pages are sign-in, the rest consent.
  let signInMs = 0;
  let browserMs = 0;
  const timed = new HeadlessBrowser({
    fetch: async (url, init) => {
      const at = performance.now();
      const answer = await fetch(url, init);
      const ms = performance.now() - at;
      browserMs += ms;
      if (isSignIn(new URL(url instanceof Request ? url.url : url))) signInMs += ms;
      return answer;
    },
  });
  const browser = await authorizeHeadlessly({
    authorizationUrl,
    redirectUri: REDIRECT_URI,
    consent: { decision: "approve", scopes: [...scopes] },
    browser: timed,
    ...signIn,
  });
  const browserPart = lap();
  const { callback } = browser;
  const refused = callback.searchParams.get("error");
  if (refused !== null) throw new Error(`OAuth flow: the authorization ended with error=${refused}`);
  if (callback.searchParams.get("state") !== state) throw new Error("OAuth flow: the callback's state is not ours");
  const iss = callback.searchParams.get("iss");
  if (iss !== null && iss !== issuer) throw new Error(`OAuth flow: the callback's iss ${iss} is not ${issuer}`);
  const code = callback.searchParams.get("code");
  if (code === null) throw new Error("OAuth flow: the callback has no code");

  const tokens = await jsonOf(
    "token",
    await fetch(tokenEndpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code,
        redirect_uri: REDIRECT_URI,
        client_id: clientId,
        code_verifier: codeVerifier,
        resource,
      }),
    }),
    200,
  );
  const accessToken = stringField("token", tokens, "access_token");
  const tokenMs = lap();
  if (String(tokens["token_type"]).toLowerCase() !== "bearer") {
    throw new Error(`OAuth flow: token_type ${String(tokens["token_type"])}, expected Bearer`);
  }
  const granted = typeof tokens["scope"] === "string" ? tokens["scope"].split(" ") : [];
  const missing = scopes.filter((scope) => !granted.includes(scope));
  if (missing.length > 0) throw new Error(`OAuth flow: the token lacks ${missing.join(" ")}`);

  const echo = await callEcho({ name: "oauth flow", url: resource, authorization: () => `Bearer ${accessToken}` });
  if (!echo.ok) throw new Error(`OAuth flow: echo with the new token failed: ${echo.problem ?? "?"}`);
  const firstCall = lap();
  const refreshToken = typeof tokens["refresh_token"] === "string" ? tokens["refresh_token"] : undefined;
  return {
    accessToken,
    refreshToken,
    code,
    clientId,
    tokenEndpoint,
    redirectUri: REDIRECT_URI,
    codeVerifier,
    resource,
    ms: performance.now() - started,
    phases: {
      discovery,
      registration: registration_,
      // The browser's share of its phase that went to sign-in pages; the rest (authorize,
      // consent, redirects) is consent.
      "sign-in": browserMs === 0 ? 0 : (browserPart * signInMs) / browserMs,
      consent: browserMs === 0 ? browserPart : (browserPart * (browserMs - signInMs)) / browserMs,
      token: tokenMs,
      "first call": firstCall,
    },
    browserSteps: browser.steps.length,
    browser: timed,
  };
}

/**
 * One access token obtained through the whole OAuth flow against the target's public origin,
 * carried by every request (tokens live an hour, longer than any run). The wall time from the
 * first unauthenticated POST /mcp to the first successful tool call is reported.
 */
export function oauthFlow(settings: {
  scopes: readonly string[];
  /**
   * For a server that is its own identity provider: the app's users CLI (relative to its dir) and
   * the pepper the server hashes with. An account is added in the server's state and signed in
   * on its own login page; without it, the login page is dev-idp's (any name, any password).
   */
  account?: { cli: string; pepper: string };
  /** The account to sign in with at an authorization server elsewhere (added by the row's setup). */
  signIn?: () => { login: string; password: string };
}): () => Credential {
  return () => {
    let header = "";
    let flow: FlowResult | undefined;
    return {
      async ready(context) {
        const signIn =
          settings.account === undefined ? settings.signIn?.() : await addAccount(context, settings.account);
        flow = await runFlow(context.origin, settings.scopes, signIn);
        header = `Bearer ${flow.accessToken}`;
      },
      authorization: () => header,
      report: () =>
        flow === undefined
          ? "the OAuth flow did not run"
          : `first tool call through the whole headless OAuth flow in ${Math.round(flow.ms)} ms ` +
            `(discovery → registration → ${settings.account === undefined && settings.signIn === undefined ? "consent → dev-idp login" : "login → consent"} → token → echo; ` +
            `${flow.browserSteps} browser requests)`,
    };
  };
}

/** Adds one account with the app's users CLI in the server's state; its generated password. */
async function addAccount(
  context: CredentialContext,
  account: { cli: string; pepper: string },
): Promise<{ login: string; password: string }> {
  const login = "bench@example.com";
  const args = [join(context.dir, account.cli), "add", "--email", login, "--name", "Bench", "--json"];
  const result = await runToCompletion(process.execPath, [...args, "--persist-to", context.stateDir], {
    cwd: context.dir,
    env: wranglerEnv({ PASSWORD_PEPPER: account.pepper }),
  });
  if (result.code !== 0) throw new Error(`${account.cli} add failed (code ${String(result.code)}).\n${result.tail}`);
  const { password } = JSON.parse(result.stdout) as { password: string };
  return { login, password };
}

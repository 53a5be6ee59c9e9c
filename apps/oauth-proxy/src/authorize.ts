import {
  AuthorizationError,
  CimdFetchError,
  authorizationErrorRedirect,
  type AuthRequest,
  type OAuthHelpers,
} from "@cloudflare/workers-oauth-provider";
import {
  UpstreamError,
  consentPage,
  consoleLog,
  fromAnotherSite,
  grantPropsSchema,
  messagePage,
  refusal,
  tenantKey,
  type UpstreamClient,
} from "@mcp-auth/auth-common";
import { SCOPES } from "@mcp-auth/mcp-core";

/** What the consent page says each scope lets a client do. */
const SCOPE_DESCRIPTIONS: Readonly<Record<(typeof SCOPES)[number], string>> = {
  "notes:read": "read your notes",
  "notes:write": "add and delete your notes (includes reading them)",
};

/** The scope a client starts with when it asks for none we know (the resource's baseline). */
export const INITIAL_SCOPES = ["notes:read"] as const;

/** Largest consent form accepted: a handle and a few scopes. */
const MAX_FORM_BYTES = 4096;

/** What the library carries across the upstream redirect for us (encrypted, single use). */
interface PendingUpstream {
  codeVerifier: string;
  nonce?: string;
}

export interface AuthorizeContext {
  oauth: OAuthHelpers;
  upstream: UpstreamClient;
  publicOrigin: string;
  serverName: string;
  upstreamName: string;
}

const redirect = (location: string, headers = new Headers()) => {
  headers.set("Location", location);
  return new Response(null, { status: 302, headers });
};

/** The known scopes a client asked for (unknown ones are dropped, never shown as grantable). */
function knownScopes(requested: readonly string[]): string[] {
  return SCOPES.filter((scope) => requested.includes(scope));
}

/**
 * Failures of the library's helpers that are the user's or the client's doing (an untrusted
 * client or redirect URI, an expired or replayed form) render here and never redirect; a
 * validated request's error goes back to its registered redirect URI.
 */
function renderFailure(request: Request, error: unknown): Response {
  if (error instanceof AuthorizationError) {
    if (error.redirectTo !== undefined) return redirect(error.redirectTo);
    consoleLog("warn", refusal(request, 400, `authorize_${error.code}`));
    return messagePage(400, "This sign-in cannot continue", error.description);
  }
  if (error instanceof UpstreamError) {
    consoleLog("warn", refusal(request, 503, `upstream_${error.code}`));
    return messagePage(
      503,
      "The identity provider is not available",
      "Signing in there is not possible right now; try again shortly.",
    );
  }
  if (error instanceof CimdFetchError) {
    consoleLog("warn", refusal(request, 400, "client_metadata_unavailable"));
    return messagePage(
      400,
      "This app could not be verified",
      "Its client metadata document could not be fetched or is invalid.",
    );
  }
  throw error;
}

/** GET /authorize: validate, then always ask this user about this client before going upstream. */
async function showConsent(request: Request, context: AuthorizeContext): Promise<Response> {
  const authRequest = await context.oauth.parseAuthRequest(request);
  // OAuth 2.1 and this server: PKCE for every client, confidential ones too. The library
  // requires it only of public clients. The client and redirect are validated: tell the client.
  if (authRequest.codeChallenge === undefined || authRequest.codeChallengeMethod !== "S256") {
    return redirect(authorizationErrorRedirect(authRequest, "invalid_request", "PKCE with S256 is required"));
  }
  // An S256 challenge is the base64url SHA-256 of the verifier: exactly 43 characters (RFC 7636 §4.2).
  if (!/^[A-Za-z0-9_-]{43}$/.test(authRequest.codeChallenge)) {
    return redirect(
      authorizationErrorRedirect(authRequest, "invalid_request", "code_challenge is not an S256 challenge"),
    );
  }
  const details = await context.oauth.describeConsent(authRequest);
  const asked = knownScopes(details.scope);
  const checked = asked.length > 0 ? asked : [...INITIAL_SCOPES];
  const consent = await context.oauth.beginConsent(authRequest);
  return consentPage({
    client: details,
    handle: consent.handle,
    headers: consent.headers,
    scopes: SCOPES.map((scope) => ({
      scope,
      description: SCOPE_DESCRIPTIONS[scope],
      checked: checked.includes(scope),
    })),
    serverName: context.serverName,
    next: `After Allow you sign in at ${context.upstreamName}; this server keeps its token and never gives it to the app.`,
    formAction: [await context.upstream.authorizationOrigin(), details.redirectUri],
  });
}

/** Reads the consent form, refusing anything but a small urlencoded body. */
async function consentForm(request: Request): Promise<URLSearchParams | undefined> {
  const type = request.headers.get("content-type") ?? "";
  if (!type.toLowerCase().startsWith("application/x-www-form-urlencoded")) return undefined;
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (!(declared <= MAX_FORM_BYTES)) return undefined;
  const text = await request.text();
  if (text.length > MAX_FORM_BYTES) return undefined;
  return new URLSearchParams(text);
}

/** POST /authorize: the user's decision. Only now, after consent, does `state` exist. */
async function decide(request: Request, context: AuthorizeContext): Promise<Response> {
  // The library binds the handle to this browser with a cookie; a cross-site POST is also
  // refused here, before anything is consumed.
  if (fromAnotherSite(request, context.publicOrigin)) {
    consoleLog("warn", refusal(request, 403, "consent_cross_origin"));
    return messagePage(403, "Refused", "This form can only be sent from this server's own page.");
  }
  const form = await consentForm(request);
  const handle = form?.get("handle");
  if (form === undefined || handle === null || handle === undefined) {
    return messagePage(400, "This sign-in cannot continue", "The consent form is missing or malformed.");
  }
  if (form.get("decision") !== "approve") {
    const denied = await context.oauth.denyConsent(request, handle);
    return redirect(denied.redirectTo, denied.headers);
  }
  const approved = await context.oauth.approveConsent(request, handle, { scope: knownScopes(form.getAll("scope")) });
  const redirectUri = new URL("/callback", context.publicOrigin).href;
  // The library's `state` is the upstream `state`: random, single use, bound to this browser,
  // created only now. The PKCE verifier and nonce travel in its encrypted record.
  const pending = context.upstream.prepare();
  const upstream = await context.oauth.beginUpstream(approved.request, {
    data: pending satisfies PendingUpstream,
    headers: approved.headers,
  });
  const url = await context.upstream.authorizationUrl({ redirectUri, state: upstream.state, pending });
  return redirect(url.href, upstream.headers);
}

/** GET /callback: the upstream IdP sent the browser back. */
async function finish(request: Request, context: AuthorizeContext): Promise<Response> {
  const callbackUrl = new URL(request.url);
  const resumed = await context.oauth.finishUpstream<PendingUpstream>(request);
  const original: AuthRequest = resumed.request;
  const toClient = (code: "access_denied" | "temporarily_unavailable", description: string) =>
    redirect(authorizationErrorRedirect(original, code, description), resumed.headers);
  let user;
  try {
    user = await context.upstream.finish({
      callbackUrl,
      redirectUri: new URL("/callback", context.publicOrigin).href,
      state: callbackUrl.searchParams.get("state") ?? "",
      pending: resumed.data,
    });
  } catch (error) {
    if (!(error instanceof UpstreamError)) throw error;
    consoleLog("warn", refusal(request, 302, `upstream_${error.code}`, { clientId: original.clientId }));
    if (error.code === "temporarily_unavailable") {
      return toClient("temporarily_unavailable", `${context.upstreamName} is not answering; try again shortly.`);
    }
    return toClient(
      "access_denied",
      error.code === "access_denied"
        ? `The sign-in at ${context.upstreamName} was declined.`
        : `The sign-in at ${context.upstreamName} could not be verified.`,
    );
  }
  const props = grantPropsSchema.parse({
    subject: user.subject,
    ...(user.displayName === undefined ? {} : { displayName: user.displayName }),
    issuer: user.issuer,
    upstream: user.tokens,
  });
  const { redirectTo } = await context.oauth.completeAuthorization({
    request: original,
    // Storage-visible (the library lists and revokes grants by it): the tenant, never a secret.
    // Percent-encoded, so it holds no ":" (the library's separator).
    userId: tenantKey({ method: "oauth", issuer: props.issuer, subject: props.subject }),
    metadata: {},
    scope: original.scope,
    props,
  });
  return redirect(redirectTo, resumed.headers);
}

/** The routes this app owns inside the authorization server: consent and the upstream callback. */
export async function authorizeRoutes(request: Request, context: AuthorizeContext): Promise<Response | undefined> {
  const { pathname } = new URL(request.url);
  try {
    if (pathname === "/authorize" && request.method === "GET") return await showConsent(request, context);
    if (pathname === "/authorize" && request.method === "POST") return await decide(request, context);
    if (pathname === "/callback" && request.method === "GET") return await finish(request, context);
  } catch (error) {
    return renderFailure(request, error);
  }
  if (pathname === "/authorize" || pathname === "/callback") {
    return messagePage(405, "Method not allowed", "This address takes a browser's GET (or the consent form's POST).");
  }
  return undefined;
}

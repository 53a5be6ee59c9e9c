import {
  AuthorizationError,
  CimdFetchError,
  authorizationErrorRedirect,
  type AuthRequest,
  type OAuthHelpers,
} from "@cloudflare/workers-oauth-provider";
import { ownPageForm } from "../forms.ts";
import { consoleLog, refusal } from "../log.ts";
import { consentPage, type ConsentPageOptions } from "../pages/consent-page.ts";
import { messagePage } from "../pages/message-page.ts";
import { redirect, type Route } from "../routes.ts";

/** The known scopes a client asked for, in `known`'s order (unknown ones are never offered). */
export function knownScopes(known: readonly string[], requested: readonly string[]): string[] {
  return known.filter((scope) => requested.includes(scope));
}

/**
 * OAuth 2.1 and this server: PKCE S256 for every client, confidential ones too (the library
 * requires it only of public clients). The client and redirect are validated by now, so the
 * refusal goes back to the client. `undefined` when the request may continue.
 */
export function pkceRefusal(authRequest: AuthRequest): Response | undefined {
  if (authRequest.codeChallenge === undefined || authRequest.codeChallengeMethod !== "S256") {
    return redirect(authorizationErrorRedirect(authRequest, "invalid_request", "PKCE with S256 is required"));
  }
  // An S256 challenge is the base64url SHA-256 of the verifier: exactly 43 characters (RFC 7636 §4.2).
  if (!/^[A-Za-z0-9_-]{43}$/.test(authRequest.codeChallenge)) {
    return redirect(
      authorizationErrorRedirect(authRequest, "invalid_request", "code_challenge is not an S256 challenge"),
    );
  }
  return undefined;
}

/**
 * RFC 6749 §3.1: "Request and response parameters MUST NOT be included more than once". The
 * client and redirect URI are validated by now (a repeated `client_id` or `redirect_uri` was
 * refused before the library, as a page), so the refusal goes back to the client, naming the
 * parameter (§4.1.2.1). `undefined` when no parameter repeats.
 */
export function repeatedParameterRedirect(request: Request, authRequest: AuthRequest): Response | undefined {
  const query = new URL(request.url).searchParams;
  // RFC 8707 §2: `resource` alone may be repeated, one per resource.
  const repeated = [...new Set(query.keys())].find((name) => name !== "resource" && query.getAll(name).length > 1);
  if (repeated === undefined) return undefined;
  consoleLog("warn", refusal(request, 302, "authorize_repeated_parameter", { clientId: authRequest.clientId }));
  return redirect(
    authorizationErrorRedirect(authRequest, "invalid_request", `The ${repeated} parameter must not be repeated`),
  );
}

/**
 * Everything refused once the library has validated the client and redirect URI, in order: a
 * repeated parameter ({@link repeatedParameterRedirect}), then PKCE ({@link pkceRefusal}). An
 * error redirect to the client, or `undefined` when the request may continue.
 */
export function authorizeRefusal(request: Request, authRequest: AuthRequest): Response | undefined {
  return repeatedParameterRedirect(request, authRequest) ?? pkceRefusal(authRequest);
}

/**
 * The consent page's POST: from our own page (a cross-site one is refused before anything is
 * consumed), a small form with the library's consent handle. The form and handle, or the page
 * that refuses.
 */
export async function consentForm(
  request: Request,
  publicOrigin: string,
): Promise<{ form: URLSearchParams; handle: string } | Response> {
  const form = await ownPageForm(request, publicOrigin, "consent");
  if (form instanceof Response) return form;
  const handle = form?.get("handle");
  if (form === undefined || handle === null || handle === undefined) {
    return messagePage(400, "This sign-in cannot continue", "The consent form is missing or malformed.");
  }
  return { form, handle };
}

/**
 * Failures of the library's helpers that are the user's or the client's doing (an untrusted
 * client or redirect URI, an expired or replayed form) render here and never redirect; a
 * validated request's error goes back to its registered redirect URI. Anything else is
 * rethrown.
 */
export function authorizeFailure(request: Request, error: unknown): Response {
  if (error instanceof AuthorizationError) {
    if (error.redirectTo !== undefined) return redirect(error.redirectTo);
    consoleLog("warn", refusal(request, 400, `authorize_${error.code}`));
    return messagePage(400, "This sign-in cannot continue", error.description);
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

/**
 * GET /authorize's first step in both apps: the library parses the request and validates the
 * client and redirect URI (throwing what {@link authorizeFailure} renders), then
 * {@link authorizeRefusal}. The request, or the error redirect to the client.
 */
export async function readAuthorizeRequest(request: Request, oauth: OAuthHelpers): Promise<AuthRequest | Response> {
  const authRequest = await oauth.parseAuthRequest(request);
  return authorizeRefusal(request, authRequest) ?? authRequest;
}

/** The scopes a consent page offers, fixed per app. */
export interface ConsentScopes {
  /** Every scope a client may be granted, in the order shown. */
  scopes: readonly string[];
  /** What is checked when the client asked for no known scope. */
  initialScopes: readonly string[];
  /** One line per scope, for the person deciding. */
  descriptions: Readonly<Record<string, string>>;
  /** The resource name shown in the title. */
  serverName: string;
}

/** What one app's consent page adds: the signed-in person, a CSRF token, a note, extra form targets. */
export type ConsentExtras = Pick<ConsentPageOptions, "csrf" | "signedInAs" | "next"> & {
  /** Where the form's POST may redirect besides the client's redirect URI (CSP `form-action`). */
  formTargets?: readonly string[];
};

/**
 * The consent page for a validated `authRequest`: the client as the library describes it, every
 * known scope offered with those the client asked for checked (else the initial ones), and the
 * library's consent begun (its handle and browser-binding cookie on the page).
 */
export async function askConsent(
  oauth: OAuthHelpers,
  authRequest: AuthRequest,
  scopes: ConsentScopes,
  extras: ConsentExtras = {},
): Promise<Response> {
  const details = await oauth.describeConsent(authRequest);
  const asked = knownScopes(scopes.scopes, details.scope);
  const checked = asked.length > 0 ? asked : [...scopes.initialScopes];
  const consent = await oauth.beginConsent(authRequest);
  const { formTargets = [], ...page } = extras;
  return consentPage({
    ...page,
    client: details,
    handle: consent.handle,
    headers: consent.headers,
    scopes: scopes.scopes.map((scope) => ({
      scope,
      description: scopes.descriptions[scope] ?? scope,
      checked: checked.includes(scope),
    })),
    serverName: scopes.serverName,
    formAction: [...formTargets, details.redirectUri],
  });
}

/**
 * A route browsers reach during authorization (/authorize, an upstream /callback): `GET` and
 * `POST` to their handlers, whose failures render through `failure` (default
 * {@link authorizeFailure}); any other method gets the 405 page.
 */
export function browserRoute<X>(
  handlers: { GET?: Route<X>; POST?: Route<X> },
  failure: (request: Request, error: unknown) => Response = authorizeFailure,
): Route<X> {
  return async (request, context) => {
    const handler = request.method === "GET" ? handlers.GET : request.method === "POST" ? handlers.POST : undefined;
    if (handler === undefined) {
      return messagePage(405, "Method not allowed", "This address takes a browser's GET (or the consent form's POST).");
    }
    try {
      return await handler(request, context);
    } catch (error) {
      return failure(request, error);
    }
  };
}

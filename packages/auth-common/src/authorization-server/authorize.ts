import {
  AuthorizationError,
  CimdFetchError,
  authorizationErrorRedirect,
  type AuthRequest,
} from "@cloudflare/workers-oauth-provider";
import { consoleLog, refusal } from "../log.ts";
import { messagePage } from "../pages/consent-page.ts";

/** Largest form a page of ours accepts: a handle, a token and a few scopes or fields. */
export const MAX_FORM_BYTES = 4096;

export const redirect = (location: string, headers = new Headers()): Response => {
  headers.set("Location", location);
  return new Response(null, { status: 302, headers });
};

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

/** A small urlencoded form body, or `undefined` for anything else (wrong type, too large). */
export async function readForm(request: Request): Promise<URLSearchParams | undefined> {
  const type = request.headers.get("content-type") ?? "";
  if (!type.toLowerCase().startsWith("application/x-www-form-urlencoded")) return undefined;
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (!(declared <= MAX_FORM_BYTES)) return undefined;
  const text = await request.text();
  if (text.length > MAX_FORM_BYTES) return undefined;
  return new URLSearchParams(text);
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

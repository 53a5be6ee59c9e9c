// The POSTs our own pages send (sign-in, consent, sign-out, account changes): a small
// urlencoded form, from this origin. What each form then checks (its CSRF token, its fields)
// stays with its page.
import { consoleLog, refusal } from "./log.ts";
import { messagePage } from "./pages/consent-page.ts";
import { fromAnotherSite } from "./session.ts";

/** Largest form a page of ours accepts: a handle, a token and a few scopes or fields. */
export const MAX_FORM_BYTES = 4096;

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

/** The refusal (403, logged as `reason`) for a form that did not come from our own page in this browser. */
export function forgedForm(request: Request, reason: string): Response {
  consoleLog("warn", refusal(request, 403, reason));
  return messagePage(
    403,
    "Refused",
    "This form can only be sent from this server's own page. Reload it and try again.",
  );
}

/**
 * A form POST from one of our own pages: the refusal when another site sent it (logged as
 * `<purpose>_cross_origin`, before the body is read), else the form, or `undefined` when the body
 * is not a small urlencoded form.
 */
export async function ownPageForm(
  request: Request,
  publicOrigin: string,
  purpose: string,
): Promise<URLSearchParams | undefined | Response> {
  if (fromAnotherSite(request, publicOrigin)) return forgedForm(request, `${purpose}_cross_origin`);
  return readForm(request);
}

// The POSTs our own pages send (sign-in, consent, sign-out, account changes): a small
// urlencoded form, from this origin. What each form then checks (its CSRF token, its fields)
// stays with its page.
import { BodyTooLargeError, readBoundedText } from "./bounded-body.ts";
import { consoleLog, refusal } from "./log.ts";
import { messagePage } from "./pages/message-page.ts";
import { fromAnotherSite } from "./session.ts";

/** Largest form a page of ours accepts: a handle, a token and a few scopes or fields. */
export const MAX_FORM_BYTES = 4096;

/** The 413 page for a form over {@link MAX_FORM_BYTES} (logged). */
function formTooLarge(request: Request): Response {
  consoleLog("warn", refusal(request, 413, "form_too_large"));
  return messagePage(413, "Too large", `A form here is limited to ${MAX_FORM_BYTES} bytes.`);
}

/**
 * A small urlencoded form body, read bounded ({@link readBoundedText}): the form, `undefined`
 * for another content type or a body that is not UTF-8, or the 413 page past {@link MAX_FORM_BYTES}
 * (whether or not, or however truthfully, `Content-Length` says so).
 */
export async function readForm(request: Request): Promise<URLSearchParams | undefined | Response> {
  const type = request.headers.get("content-type") ?? "";
  if (!type.toLowerCase().startsWith("application/x-www-form-urlencoded")) return undefined;
  try {
    return new URLSearchParams(await readBoundedText(request, MAX_FORM_BYTES));
  } catch (error) {
    if (error instanceof BodyTooLargeError) return formTooLarge(request);
    if (error instanceof TypeError) return undefined;
    throw error;
  }
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
 * `<purpose>_cross_origin`, before the body is read), else {@link readForm}'s answer.
 */
export async function ownPageForm(
  request: Request,
  publicOrigin: string,
  purpose: string,
): Promise<URLSearchParams | undefined | Response> {
  if (fromAnotherSite(request, publicOrigin)) return forgedForm(request, `${purpose}_cross_origin`);
  return readForm(request);
}

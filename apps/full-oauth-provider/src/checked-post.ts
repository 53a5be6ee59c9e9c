// The one check every state-changing POST of this app's pages makes, in one order: it came from
// this origin, its body is small and well-formed, the browser is signed in (or, before sign-in,
// holds its pre-sign-in cookie), and it carries the CSRF token bound to that cookie's id and the
// form's purpose. A refusal has one shape per kind of caller: a page for our HTML forms, JSON
// `{error, error_description}` for the passkey script.
import { BodyTooLargeError, consoleLog, messagePage, readBoundedText, refusal } from "@mcp-auth/auth-common";
import {
  checkCsrfToken,
  forgedForm,
  fromAnotherSite,
  ownPageForm,
  readSessionCookie,
  sessionIdHash,
} from "@mcp-auth/auth-common/accounts";
import type { AppContext } from "./context.ts";
import { sessionUser, type User, type UserDatabase } from "./users.ts";

/** Largest JSON body the passkey script sends (a response with attestation is a few KiB). */
const MAX_JSON_BYTES = 32 * 1024;

/** The browser's session: its id (from the cookie) and the signed-in user, if any. */
export interface BrowserSession {
  id: string | undefined;
  user: User | undefined;
}

export async function currentSession(request: Request, db: UserDatabase): Promise<BrowserSession> {
  const id = readSessionCookie(request);
  if (id === undefined) return { id, user: undefined };
  return { id, user: await sessionUser(db, await sessionIdHash(id)) };
}

/** A JSON error the passkey script shows; never a secret or a verifier's internals. */
export function problem(
  status: number,
  code: string,
  description: string,
  headers: Record<string, string> = {},
): Response {
  return Response.json(
    { error: code, error_description: description },
    { status, headers: { "Cache-Control": "no-store", ...headers } },
  );
}

/** What sends the POST: one of our HTML forms (urlencoded) or the passkey script (JSON). */
export type PostBody = "form" | "json";

export interface PostCheck<B extends PostBody, S extends boolean> {
  /** The CSRF token's purpose, and the log reasons' prefix: `<purpose>_cross_origin`, `<purpose>_csrf`. */
  purpose: string;
  body: B;
  /**
   * Whether the caller must be signed in (account, passkey registration, consent); otherwise a
   * browser whose token is bound to its cookie's id alone (sign-in before a session, sign-out).
   */
  signedIn: S;
  /**
   * A page's answer when the caller must be signed in and is not (default: 303 to /login). The
   * consent form's: its sign-in has ended mid-flow, and only the MCP client can start it again.
   */
  signedOut?: () => Response;
}

/** What a POST that passed carries: the cookie's id, the body, and the user when one must be signed in. */
export type CheckedPost<B extends PostBody, S extends boolean> = {
  id: string;
  body: B extends "form" ? URLSearchParams : Record<string, unknown>;
} & (S extends true ? { user: User } : unknown);

/** The JSON refusal for a request that did not come from our own page in this browser (logged). */
function forgedJson(request: Request, reason: string): Response {
  consoleLog("warn", refusal(request, 403, reason));
  return problem(403, "forbidden", "Only this server's own pages may do that. Reload the page.");
}

/** The passkey script's body: JSON, small, an object; else its refusal. */
async function readJson(request: Request): Promise<Record<string, unknown> | Response> {
  const type = (request.headers.get("content-type") ?? "").toLowerCase();
  if (!type.startsWith("application/json")) return problem(400, "invalid_request", "Send a small JSON body.");
  try {
    const body: unknown = JSON.parse(await readBoundedText(request, MAX_JSON_BYTES));
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw new Error("not an object");
    return body as Record<string, unknown>;
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      consoleLog("warn", refusal(request, 413, "passkey_body_too_large"));
      return problem(413, "invalid_request", `The body is limited to ${MAX_JSON_BYTES} bytes.`);
    }
    return problem(400, "invalid_request", "The body is not a JSON object.");
  }
}

/**
 * Checks a state-changing POST of our own pages (login CSRF, forged consent, cross-site account
 * changes; RFC 6749 §10.12, OWASP CSRF cheat sheet).
 * Validates: `Sec-Fetch-Site` / `Origin` is this server (before the body is read); the body is
 * the kind expected and within its limit; with `signedIn`, a live session; the CSRF token is the
 * HMAC of the cookie's id and `purpose`.
 * Does not validate: the form's own fields (the caller's), rate limits.
 * Refusals: a page (403 forged form, 413, 400, 303 to /login) or JSON (403 `forbidden`,
 * 413/400 `invalid_request`, 401 `not_signed_in`).
 */
export async function checkedPost<B extends PostBody, S extends boolean>(
  request: Request,
  context: Pick<AppContext, "db" | "publicOrigin" | "sessionSecret">,
  check: PostCheck<B, S>,
): Promise<CheckedPost<B, S> | Response> {
  const { purpose } = check;
  const page = check.body === "form";
  let body: URLSearchParams | Record<string, unknown>;
  if (page) {
    const form = await ownPageForm(request, context.publicOrigin, purpose);
    if (form instanceof Response) return form;
    if (form === undefined) return messagePage(400, "Not changed", "The form is missing or malformed.");
    body = form;
  } else {
    if (fromAnotherSite(request, context.publicOrigin)) return forgedJson(request, `${purpose}_cross_origin`);
    const json = await readJson(request);
    if (json instanceof Response) return json;
    body = json;
  }
  const { id, user } = check.signedIn ? await currentSession(request, context.db) : { id: readSessionCookie(request) };
  if (check.signedIn && (user === undefined || id === undefined)) {
    if (!page) return problem(401, "not_signed_in", "Sign in first.");
    return check.signedOut?.() ?? new Response(null, { status: 303, headers: { Location: "/login" } });
  }
  const token = body instanceof URLSearchParams ? body.get("csrf") : body["csrf"];
  if (id === undefined || !(await checkCsrfToken(context.sessionSecret, id, purpose, token as string | undefined))) {
    return page ? forgedForm(request, `${purpose}_csrf`) : forgedJson(request, `${purpose}_csrf`);
  }
  // `body` is of the kind `check.body` asked for, and `user` is set whenever `check.signedIn`.
  return { id, body, user } as unknown as CheckedPost<B, S>;
}

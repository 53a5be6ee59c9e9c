// Browser sign-in: the login page, password verification with its limits, sessions and
// sign-out. Every state-changing POST is a checked post (src/checked-post.ts): from this origin,
// with a CSRF token bound to the browser's cookie id.
import { checkRateLimit, clientAddress, consoleLog, html, layout, pageHeaders, refusal } from "@mcp-auth/auth-common";
import {
  clearedSessionCookie,
  csrfToken,
  fromAnotherSite,
  hashPassword,
  newSessionId,
  readSessionCookie,
  safeReturnTo,
  sessionCookie,
  sessionIdHash,
  verifyPassword,
  type Peppers,
} from "@mcp-auth/auth-common/accounts";
import {
  MAX_EMAIL_LENGTH,
  SESSION_TTL_SECONDS,
  createSession,
  emailKey,
  endSession,
  findByEmail,
  rehashPassword,
  type UserDatabase,
} from "./users.ts";
import { checkedPost, currentSession } from "./checked-post.ts";
import type { AppContext } from "./context.ts";

/** How long the login form's pre-sign-in cookie lives: long enough to type a password. */
const LOGIN_FORM_TTL_SECONDS = 30 * 60;

/** The one answer for an unknown email, a wrong password and a disabled account. */
export const SIGN_IN_FAILED = "That email and password do not match an account that can sign in.";

const seeOther = (location: string, headers = new Headers()) => {
  headers.set("Location", location);
  return new Response(null, { status: 303, headers });
};

/** Headers of the login page: it loads /passkeys.js, which calls this origin's passkey endpoints. */
const loginHeaders = () => pageHeaders({ selfScripts: true, connectSelf: true });

function loginPage(
  status: number,
  options: { csrf: string; returnTo: string | undefined; email?: string; error?: string },
  headers = loginHeaders(),
): Response {
  const body = html`<h1>Sign in</h1>
    ${options.error === undefined ? "" : html`<p class="warning" role="alert">${options.error}</p>`}
    <form method="post" action="/login">
      <input type="hidden" name="csrf" value="${options.csrf}" />
      ${options.returnTo === undefined ? "" : html`<input type="hidden" name="return_to" value="${options.returnTo}" />`}
      <p>
        <label
          >Email<br /><input
            type="email"
            name="login"
            autocomplete="username"
            maxlength="${MAX_EMAIL_LENGTH}"
            value="${options.email ?? ""}"
            required
        /></label>
      </p>
      <p>
        <label
          >Password<br /><input
            type="password"
            name="password"
            autocomplete="current-password"
            maxlength="1024"
            required
        /></label>
      </p>
      <p><button type="submit">Sign in</button></p>
    </form>
    <p>
      <button type="button" id="passkey-sign-in" data-csrf="${options.csrf}" data-return-to="${options.returnTo ?? ""}">
        Sign in with a passkey
      </button>
      <span id="passkey-status" role="status"></span>
    </p>`;
  return new Response(layout("Sign in", body, { scripts: ["/passkeys.js"] }).value, { status, headers });
}

/**
 * GET /login: the form. A browser without a session cookie gets a fresh random one first, so
 * the form's CSRF token is bound to something only this browser holds (login CSRF); it is
 * never a session until a sign-in, which replaces it.
 */
export async function showLogin(request: Request, context: AppContext): Promise<Response> {
  const returnTo = safeReturnTo(new URL(request.url).searchParams.get("return_to"), context.publicOrigin);
  const session = await currentSession(request, context.db);
  if (session.user !== undefined) return seeOther(returnTo ?? "/account");
  const headers = loginHeaders();
  const csrf = await preSignInToken(context, session.id, "login", headers);
  return loginPage(200, { csrf, returnTo }, headers);
}

/** POST /login: check the form, the limits, then the password (the same work for every outcome). */
export async function signIn(request: Request, context: AppContext): Promise<Response> {
  const checked = await checkedPost(request, context, { purpose: "login", body: "form", signedIn: false });
  if (checked instanceof Response) return checked;
  const { id: formId, body: form } = checked;
  const returnTo = safeReturnTo(form.get("return_to"), context.publicOrigin);
  const email = (form.get("login") ?? "").slice(0, MAX_EMAIL_LENGTH);
  const password = form.get("password") ?? "";
  const address = clientAddress(request);
  const again = async (status: number, error: string, headers = loginHeaders()) =>
    loginPage(
      status,
      { csrf: await csrfToken(context.sessionSecret, formId, "login"), returnTo, email, error },
      headers,
    );

  // Limits first: a locked account or address costs no hashing. Every attempt counts.
  const period = context.rateLimitPeriodSeconds;
  const limited =
    (await checkRateLimit(context.addressLimiter, address, period)) ??
    (await checkRateLimit(context.accountLimiter, emailKey(email), period));
  if (limited !== undefined) {
    consoleLog("warn", refusal(request, 429, "sign_in_rate_limited"));
    context.audit({ event: "sign_in", outcome: "locked", address, detail: "rate_limited" });
    const headers = loginHeaders();
    headers.set("Retry-After", String(period));
    return again(429, `Too many sign-in attempts. Wait ${period} seconds and try again.`, headers);
  }

  const found = await findByEmail(context.db, email);
  const peppers = await context.peppers;
  const check = await verifyPassword(found?.passwordHash, password, peppers);
  if (!check.ok || found === undefined || found.user.disabled) {
    consoleLog("warn", refusal(request, 401, "sign_in_failed"));
    const detail = found === undefined ? "unknown_user" : check.ok ? "disabled" : "wrong_password";
    context.audit({ event: "sign_in", outcome: "failed", userId: found?.user.id, address, detail });
    return again(401, SIGN_IN_FAILED);
  }
  const { user } = found;
  if (check.rehash && found.passwordHash !== null) {
    context.defer(rehash(context.db, peppers, user.id, found.passwordHash, password));
  }

  const headers = await startSession(context, user.id, formId);
  context.audit({ event: "sign_in", outcome: "ok", userId: user.id, address, detail: "password" });
  return seeOther(returnTo ?? "/account", headers);
}

/**
 * Starts a session of `userId` in this browser: a new session id (no fixation: the form's id `formId` is
 * dropped, never promoted). Returns the headers that set its cookie.
 */
export async function startSession(
  context: Pick<AppContext, "db" | "defer">,
  userId: string,
  formId: string,
): Promise<Headers> {
  const id = newSessionId();
  await createSession(context.db, await sessionIdHash(id), userId);
  context.defer(endSession(context.db, await sessionIdHash(formId)));
  return new Headers({ "Set-Cookie": sessionCookie(id, SESSION_TTL_SECONDS), "Cache-Control": "no-store" });
}

/**
 * The CSRF token of a form shown before sign-in (login, invitation), bound to this browser's
 * cookie id; a browser without one gets a fresh random id first (its cookie added to `headers`),
 * so the token is bound to something only this browser holds (login CSRF). It is never a session
 * until a sign-in, which replaces it.
 */
export async function preSignInToken(
  context: Pick<AppContext, "sessionSecret">,
  sessionId: string | undefined,
  purpose: string,
  headers: Headers,
): Promise<string> {
  let id = sessionId;
  if (id === undefined) {
    id = newSessionId();
    headers.append("Set-Cookie", sessionCookie(id, LOGIN_FORM_TTL_SECONDS));
  }
  return csrfToken(context.sessionSecret, id, purpose);
}

async function rehash(
  db: UserDatabase,
  peppers: Peppers,
  userId: string,
  previousHash: string,
  password: string,
): Promise<void> {
  await rehashPassword(db, userId, previousHash, await hashPassword(password, peppers));
}

/** POST /logout: ends the session server-side and clears the cookie. */
export async function signOut(request: Request, context: AppContext): Promise<Response> {
  // No cookie: nothing to end, so home as before (another site's POST is still refused first).
  if (readSessionCookie(request) === undefined && !fromAnotherSite(request, context.publicOrigin)) return seeOther("/");
  // Bound to the cookie's id, not to a live session: an expired one's cookie is cleared too.
  const checked = await checkedPost(request, context, { purpose: "logout", body: "form", signedIn: false });
  if (checked instanceof Response) return checked;
  const { id } = checked;
  const session = await currentSession(request, context.db);
  await endSession(context.db, await sessionIdHash(id));
  if (session.user !== undefined) {
    context.audit({ event: "sign_out", outcome: "ok", userId: session.user.id, address: clientAddress(request) });
  }
  return seeOther("/", new Headers({ "Set-Cookie": clearedSessionCookie(), "Cache-Control": "no-store" }));
}

// /invite: the person an admin invited (`npm run users -- invite`) sets their first credential, a
// password or a passkey, and is signed in. The link carries the code in its fragment, which a
// browser never sends: no server, proxy or Referer holds it. The page's script moves it into a
// form and POSTs it (same origin, CSRF token bound to the browser's pre-sign-in cookie, as
// /login); every step is limited per address as sign-in is.
import { checkRateLimit, clientAddress, consoleLog, html, layout, pageHeaders, refusal } from "@mcp-auth/auth-common";
import {
  PASSWORD_MIN_LENGTH,
  hashPassword,
  passwordProblem,
  readSessionCookie,
  safeReturnTo,
} from "@mcp-auth/auth-common/accounts";
import { checkedPost, problem, type PostBody } from "./checked-post.ts";
import type { AppContext } from "./context.ts";
import {
  consumeInvitation,
  inviteStanding,
  setFirstPassword,
  type InviteRefusal,
  type InviteStanding,
} from "./invitations.ts";
import { finishRegistration, startRegistration, storePasskey } from "./passkeys.ts";
import { preSignInToken, startSession } from "./sessions.ts";
import type { User } from "./users.ts";

/** The CSRF purpose of every invitation form and call. */
const PURPOSE = "invite";

/** What each refusal is shown as: status (400 unknown, 410 no longer usable), title and what to do. */
const REFUSALS: Record<InviteRefusal, { status: number; title: string; message: string }> = {
  unknown_code: {
    status: 400,
    title: "This invitation link is not valid",
    message: "Check that you opened the whole link, or ask your admin for a new invitation.",
  },
  expired: {
    status: 410,
    title: "This invitation has expired",
    message: "Ask your admin for a new invitation.",
  },
  used: {
    status: 410,
    title: "This invitation was already used",
    message: "Sign in with the password or passkey you chose, or ask your admin for a new invitation.",
  },
  not_pending: {
    status: 410,
    title: "This invitation can no longer be used",
    message: "The account already has a way to sign in, or is disabled. Sign in, or ask your admin.",
  },
};

/** Headers of the invitation pages: they load /passkeys.js, which calls this origin's endpoints. */
const inviteHeaders = () => pageHeaders({ selfScripts: true, connectSelf: true });

const seeOther = (location: string, headers: Headers) => {
  headers.set("Location", location);
  return new Response(null, { status: 303, headers });
};

/** The page for a code that cannot be used: what happened and what to do; nothing was changed. */
function refusedPage(reason: InviteRefusal): Response {
  const { status, title, message } = REFUSALS[reason];
  const body = html`<h1>${title}</h1>
    <p class="warning" role="alert" id="invite-refused">${message}</p>
    <p><a href="/login">Sign in</a></p>`;
  return new Response(layout(title, body).value, { status, headers: pageHeaders() });
}

/** The answer when an address has tried too often: a page or the script's JSON, with Retry-After. */
function tooMany(request: Request, context: AppContext, body: PostBody): Response {
  const period = String(context.rateLimitPeriodSeconds);
  consoleLog("warn", refusal(request, 429, "invite_rate_limited"));
  context.audit({
    event: "invite_refused",
    outcome: "refused",
    address: clientAddress(request),
    detail: "rate_limited",
  });
  const message = `Too many attempts. Wait ${period} seconds and try again.`;
  if (body === "json") return problem(429, "rate_limited", message, { "Retry-After": period });
  const page = html`<h1>Too many attempts</h1>
    <p class="warning" role="alert">${message}</p>`;
  return new Response(layout("Too many attempts", page).value, {
    status: 429,
    headers: { ...Object.fromEntries(pageHeaders()), "Retry-After": period },
  });
}

/** Audits a refused code (with its user when the code is known) and answers a page or the script's JSON. */
function refused(request: Request, context: AppContext, standing: InviteStanding & { ok: false }, body: PostBody) {
  const { reason, userId } = standing;
  const { status, message } = REFUSALS[reason];
  consoleLog("warn", refusal(request, status, `invite_${reason}`));
  context.audit({
    event: "invite_refused",
    outcome: "refused",
    userId,
    address: clientAddress(request),
    detail: reason,
  });
  return body === "json" ? problem(status, reason, message) : refusedPage(reason);
}

/**
 * A checked POST of the invitation (same origin, CSRF bound to the cookie's id), within the
 * per-address sign-in limit (checked before any lookup or hashing): its cookie id and body.
 */
async function invitePost<B extends PostBody>(request: Request, context: AppContext, body: B) {
  const checked = await checkedPost(request, context, { purpose: PURPOSE, body, signedIn: false });
  if (checked instanceof Response) return checked;
  const address = clientAddress(request);
  if ((await checkRateLimit(context.addressLimiter, address, context.rateLimitPeriodSeconds)) !== undefined) {
    return tooMany(request, context, body);
  }
  return checked;
}

/** The form's `return_to`, when it is this origin's /authorize (how a sign-in continues). */
const returnToOf = (value: unknown, context: AppContext) =>
  safeReturnTo(typeof value === "string" ? value : null, context.publicOrigin);

/** The invitation page: who is invited, a password form and, where the browser has passkeys, a passkey button. */
function invitePage(
  status: number,
  options: { csrf: string; code: string; user: User; returnTo: string | undefined; error?: string },
): Response {
  const { csrf, code, user, returnTo } = options;
  const body = html`<h1>Welcome, ${user.displayName}</h1>
    <p>
      You are invited to sign in here as <strong class="invited-as">${user.email}</strong>. Choose how you will sign in:
      a password, or a passkey on this device.
    </p>
    ${options.error === undefined ? "" : html`<p class="warning" role="alert">${options.error}</p>`}
    <form method="post" action="/invite/accept">
      <input type="hidden" name="csrf" value="${csrf}" />
      <input type="hidden" name="code" value="${code}" />
      ${returnTo === undefined ? "" : html`<input type="hidden" name="return_to" value="${returnTo}" />`}
      <input type="hidden" name="login" autocomplete="username" value="${user.email}" />
      <p>
        <label
          >New password<br /><input
            type="password"
            name="password"
            autocomplete="new-password"
            minlength="${PASSWORD_MIN_LENGTH}"
            maxlength="1024"
            required
        /></label>
      </p>
      <p>
        <label
          >The same password again<br /><input
            type="password"
            name="confirm"
            autocomplete="new-password"
            maxlength="1024"
            required
        /></label>
      </p>
      <p><button type="submit">Set my password</button></p>
    </form>
    <p>
      <button
        type="button"
        id="invite-passkey"
        hidden
        data-csrf="${csrf}"
        data-code="${code}"
        data-return-to="${returnTo ?? ""}"
      >
        Use a passkey instead
      </button>
      <span id="passkey-status" role="status"></span>
    </p>`;
  return new Response(layout("Your invitation", body, { scripts: ["/passkeys.js"] }).value, {
    status,
    headers: inviteHeaders(),
  });
}

/**
 * GET /invite: a form for the code. The script fills it from the link's fragment, takes the
 * fragment out of the address bar and history, and submits it; without scripts the person can
 * paste the code. The form's token is bound to this browser's cookie, as /login's is.
 */
export async function showInvite(request: Request, context: AppContext): Promise<Response> {
  const returnTo = returnToOf(new URL(request.url).searchParams.get("return_to"), context);
  const headers = inviteHeaders();
  const csrf = await preSignInToken(context, readSessionCookie(request), PURPOSE, headers);
  const body = html`<h1>Your invitation</h1>
    <form method="post" action="/invite/open">
      <input type="hidden" name="csrf" value="${csrf}" />
      ${returnTo === undefined ? "" : html`<input type="hidden" name="return_to" value="${returnTo}" />`}
      <p>
        <label
          >Invitation code (the part of your link after <code>#</code>)<br /><input
            type="text"
            id="invite-code"
            name="code"
            autocomplete="off"
            maxlength="64"
            required
        /></label>
      </p>
      <p><button type="submit">Open my invitation</button></p>
    </form>`;
  return new Response(layout("Your invitation", body, { scripts: ["/passkeys.js"] }).value, { status: 200, headers });
}

/**
 * POST /invite/open: the code; the invitation page when it can be used, else what to do. Changes
 * nothing. Not at /invite itself: a later link opened in the same tab then differs by more than
 * its fragment, so the browser loads it rather than only scrolling.
 */
export async function openInvite(request: Request, context: AppContext): Promise<Response> {
  const checked = await invitePost(request, context, "form");
  if (checked instanceof Response) return checked;
  const { id, body } = checked;
  const code = body.get("code") ?? "";
  const standing = await inviteStanding(context.db, code);
  if (!standing.ok) return refused(request, context, standing, "form");
  const returnTo = returnToOf(body.get("return_to"), context);
  const csrf = await preSignInToken(context, id, PURPOSE, new Headers());
  return invitePage(200, { csrf, code, user: standing.user, returnTo });
}

/**
 * POST /invite/accept: sets the invited user's first password and signs them in. The code is
 * used up by one conditional UPDATE before the password is stored, so of two accepts racing one
 * wins and the other changes nothing; a password the app's rules refuse changes nothing either.
 */
export async function acceptWithPassword(request: Request, context: AppContext): Promise<Response> {
  const checked = await invitePost(request, context, "form");
  if (checked instanceof Response) return checked;
  const { id: formId, body } = checked;
  const code = body.get("code") ?? "";
  const standing = await inviteStanding(context.db, code);
  if (!standing.ok) return refused(request, context, standing, "form");
  const returnTo = returnToOf(body.get("return_to"), context);
  const password = body.get("password") ?? "";
  const weak = passwordProblem(password);
  const mismatch = password === body.get("confirm") ? undefined : "The two passwords differ.";
  if (weak !== undefined || mismatch !== undefined) {
    const csrf = await preSignInToken(context, formId, PURPOSE, new Headers());
    return invitePage(400, { csrf, code, user: standing.user, returnTo, error: weak ?? mismatch ?? "" });
  }
  // Hashed before the code is used up: nothing after the UPDATE can fail on the password itself.
  const passwordHash = await hashPassword(password, { current: (await context.peppers).current });
  const userId = await consumeInvitation(context.db, code, "password");
  if (userId === undefined || !(await setFirstPassword(context.db, userId, passwordHash))) {
    return refused(request, context, await lostRace(context, code, standing.user.id), "form");
  }
  return signedIn(request, context, userId, formId, "password", (headers) => seeOther(returnTo ?? "/account", headers));
}

/** Why a code that was usable a moment ago could not be used up: another accept won, most likely. */
async function lostRace(context: AppContext, code: string, userId: string): Promise<InviteStanding & { ok: false }> {
  const now = await inviteStanding(context.db, code);
  return now.ok ? { ok: false, reason: "used", userId } : now;
}

/** After a won accept: a new session, the audit row, then `answer` with the session's cookie. */
async function signedIn(
  request: Request,
  context: AppContext,
  userId: string,
  formId: string,
  method: "password" | "passkey",
  answer: (headers: Headers) => Response,
): Promise<Response> {
  const headers = await startSession(context, userId, formId);
  context.audit({ event: "invite_accepted", outcome: "ok", userId, address: clientAddress(request), detail: method });
  return answer(headers);
}

/** POST /invite/passkey/options: registration options for the invited user (the passkey script). */
export async function invitePasskeyOptions(request: Request, context: AppContext): Promise<Response> {
  const checked = await invitePost(request, context, "json");
  if (checked instanceof Response) return checked;
  const { id, body } = checked;
  const standing = await inviteStanding(context.db, typeof body["code"] === "string" ? body["code"] : "");
  if (!standing.ok) return refused(request, context, standing, "json");
  return startRegistration(request, context, standing.user, id, "invite");
}

/**
 * POST /invite/passkey/verify: checks the new passkey (src/passkeys.ts, as /account does), then
 * uses the code up, stores the passkey and signs the person in. A lost race stores nothing.
 */
export async function invitePasskeyVerify(request: Request, context: AppContext): Promise<Response> {
  const checked = await invitePost(request, context, "json");
  if (checked instanceof Response) return checked;
  const { id: formId, body } = checked;
  const code = typeof body["code"] === "string" ? body["code"] : "";
  const standing = await inviteStanding(context.db, code);
  if (!standing.ok) return refused(request, context, standing, "json");
  const { user } = standing;
  const credential = await finishRegistration(request, context, user.id, formId, "invite", body["response"]);
  if (credential instanceof Response) return credential;
  const userId = await consumeInvitation(context.db, code, "passkey");
  if (userId !== user.id) return refused(request, context, await lostRace(context, code, user.id), "json");
  await storePasskey(context.db, user.id, credential);
  context.audit({ event: "passkey_added", outcome: "ok", userId: user.id, address: clientAddress(request) });
  const returnTo = returnToOf(body["return_to"], context);
  return signedIn(request, context, user.id, formId, "passkey", (headers) =>
    Response.json({ redirect: returnTo ?? "/account" }, { headers }),
  );
}

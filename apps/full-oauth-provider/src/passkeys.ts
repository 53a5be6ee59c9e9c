// Passkeys (WebAuthn) with @simplewebauthn/server: add one from /account, sign in with one from
// /login without typing an email (a discoverable credential names its user). Every ceremony's
// challenge is stored server-side, bound to the browser's session id, and used once.
import { checkRateLimit, clientAddress, consoleLog, refusal, sha256Hex } from "@mcp-auth/auth-common";
import { safeReturnTo } from "@mcp-auth/auth-common/accounts";
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransport,
  type RegistrationResponseJSON,
} from "@simplewebauthn/server";
import { base64url } from "jose";
import { checkedPost, problem } from "./checked-post.ts";
import type { AppContext } from "./context.ts";
import { startSession } from "./sessions.ts";
import { getUser, type User, type UserDatabase } from "./users.ts";

/** A ceremony must finish within this long. */
const CHALLENGE_TTL_SECONDS = 5 * 60;
/** Most passkeys one account may hold. */
const MAX_PASSKEYS = 10;

export interface Passkey {
  id: string;
  name: string;
  createdAt: number;
  lastUsedAt: number | undefined;
}

interface PasskeyRow {
  id: string;
  user_id: string;
  public_key: string;
  counter: number;
  transports: string;
  name: string;
  created_at: number;
  last_used_at: number | null;
}

const now = () => Math.floor(Date.now() / 1000);

export async function listPasskeys(db: UserDatabase, userId: string): Promise<Passkey[]> {
  const { results } = await db
    .prepare("SELECT * FROM passkeys WHERE user_id = ? ORDER BY created_at, id")
    .bind(userId)
    .all<PasskeyRow>();
  return results.map((row) => ({
    id: row.id,
    name: row.name,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at ?? undefined,
  }));
}

/** Removes one of `userId`'s passkeys; false when they have none with that id. */
export async function removePasskey(db: UserDatabase, userId: string, id: string): Promise<boolean> {
  if (id.length === 0 || id.length > 1024) return false;
  const result = await db.prepare("DELETE FROM passkeys WHERE id = ? AND user_id = ?").bind(id, userId).run();
  return result.meta.changes > 0;
}

/**
 * Most ceremonies one address may have open at once (each lives {@link CHALLENGE_TTL_SECONDS}):
 * as many as the sign-in limit lets it start in a minute, so a flood across locations and minutes
 * cannot grow the table.
 */
export const MAX_OPEN_CHALLENGES_PER_ADDRESS = 20;

/**
 * Stores the challenge of the ceremony under `key` (replacing an earlier one there), unless
 * `address` already holds {@link MAX_OPEN_CHALLENGES_PER_ADDRESS} open ones elsewhere. Expired
 * rows are pruned in the same batch. Returns false when refused.
 */
async function saveChallenge(
  db: UserDatabase,
  key: string,
  challenge: string,
  userId: string | null,
  address: string,
): Promise<boolean> {
  const at = now();
  const [, saved] = await db.batch([
    db.prepare("DELETE FROM webauthn_challenges WHERE expires_at <= ?").bind(at),
    db
      .prepare(
        "INSERT INTO webauthn_challenges (key, challenge, user_id, expires_at, address) SELECT ?1, ?2, ?3, ?4, ?5 " +
          "WHERE (SELECT COUNT(*) FROM webauthn_challenges WHERE address = ?5 AND key != ?1) < ?6 " +
          "ON CONFLICT (key) DO UPDATE SET challenge = excluded.challenge, user_id = excluded.user_id, expires_at = excluded.expires_at, address = excluded.address",
      )
      .bind(key, challenge, userId, at + CHALLENGE_TTL_SECONDS, address, MAX_OPEN_CHALLENGES_PER_ADDRESS),
  ]);
  return (saved?.meta.changes ?? 0) > 0;
}

/** The answer when an address has too many ceremonies open. */
function tooManyCeremonies(request: Request): Response {
  consoleLog("warn", refusal(request, 429, "passkey_ceremonies_limited"));
  const wait = String(CHALLENGE_TTL_SECONDS);
  return problem(429, "rate_limited", `Too many passkey requests from this address. Wait ${wait} seconds.`, {
    "Retry-After": wait,
  });
}

/** The open challenge under `key`, deleted as it is read (single use); undefined when none or expired. */
async function takeChallenge(
  db: UserDatabase,
  key: string,
): Promise<{ challenge: string; userId: string | null } | undefined> {
  const row = await db
    .prepare("DELETE FROM webauthn_challenges WHERE key = ? RETURNING challenge, user_id, expires_at")
    .bind(key)
    .first<{ challenge: string; user_id: string | null; expires_at: number }>();
  if (row === null || row.expires_at <= now()) return undefined;
  return { challenge: row.challenge, userId: row.user_id };
}

const challengeKey = (purpose: string, sessionId: string) => sha256Hex(`webauthn:${purpose}:${sessionId}`);

const rpId = (context: AppContext) => new URL(context.publicOrigin).hostname;

/** A signed-in user's passkey POST (the script's JSON), after the checks of {@link checkedPost}. */
const signedInPost = (request: Request, context: AppContext) =>
  checkedPost(request, context, { purpose: "passkey", body: "json", signedIn: true });

/**
 * Registration options for a passkey of `user`, its challenge kept under `purpose` and the
 * browser's cookie id `sessionId` (single use, 5 minutes): from /account for the signed-in user,
 * or from /invite for the invited one (src/invite.ts).
 */
export async function startRegistration(
  request: Request,
  context: AppContext,
  user: User,
  sessionId: string,
  purpose: "register" | "invite",
): Promise<Response> {
  const existing = await context.db
    .prepare("SELECT id, transports FROM passkeys WHERE user_id = ?")
    .bind(user.id)
    .all<{ id: string; transports: string }>();
  if (existing.results.length >= MAX_PASSKEYS) {
    return problem(400, "too_many_passkeys", `An account holds at most ${MAX_PASSKEYS} passkeys; remove one first.`);
  }
  const options = await generateRegistrationOptions({
    rpName: "MCP full-oauth-provider",
    rpID: rpId(context),
    userName: user.email,
    userDisplayName: user.displayName,
    userID: new Uint8Array(new TextEncoder().encode(user.id)),
    attestationType: "none",
    excludeCredentials: existing.results.map((row) => ({
      id: row.id,
      transports: row.transports.split(" ").filter(Boolean) as AuthenticatorTransport[],
    })),
    // Discoverable, so that signing in needs no email: the passkey names its user.
    // A passkey is the only factor here, so the authenticator must verify the person (PIN or
    // biometrics), not only their presence: one that cannot is refused at registration.
    authenticatorSelection: { residentKey: "required", userVerification: "required" },
  });
  const key = await challengeKey(purpose, sessionId);
  if (!(await saveChallenge(context.db, key, options.challenge, user.id, clientAddress(request)))) {
    return tooManyCeremonies(request);
  }
  return Response.json(options, { headers: { "Cache-Control": "no-store" } });
}

/** A verified new passkey, not yet stored ({@link storePasskey}). */
export type NewPasskey = { id: string; publicKey: Uint8Array; counter: number; transports?: string[] | undefined };

/**
 * Checks the browser's answer to {@link startRegistration} for `userId`: the challenge under
 * `purpose` and `sessionId` (taken, so used once whatever the outcome), origin, RP id, user
 * verification. Returns the credential, or the JSON refusal.
 */
export async function finishRegistration(
  request: Request,
  context: AppContext,
  userId: string,
  sessionId: string,
  purpose: "register" | "invite",
  response: unknown,
): Promise<NewPasskey | Response> {
  const open = await takeChallenge(context.db, await challengeKey(purpose, sessionId));
  if (open?.userId !== userId) {
    return problem(400, "expired", "This passkey request has expired or was already used. Start again.");
  }
  let verified;
  try {
    verified = await verifyRegistrationResponse({
      response: response as RegistrationResponseJSON,
      expectedChallenge: open.challenge,
      expectedOrigin: context.publicOrigin,
      expectedRPID: rpId(context),
      // The passkey is the only factor: the authenticator must have verified the person (UV flag).
      requireUserVerification: true,
    });
  } catch {
    verified = undefined;
  }
  if (verified?.verified !== true) {
    consoleLog("warn", refusal(request, 400, "passkey_registration_failed", { subject: userId }));
    return problem(400, "verification_failed", "The passkey could not be verified.");
  }
  return verified.registrationInfo.credential;
}

/** Stores `credential` as a passkey of `userId` (a known id changes nothing); its id and name. */
export async function storePasskey(
  db: UserDatabase,
  userId: string,
  credential: NewPasskey,
): Promise<{ id: string; name: string }> {
  const name = `Passkey added ${new Date().toISOString().slice(0, 10)}`;
  await db
    .prepare(
      "INSERT INTO passkeys (id, user_id, public_key, counter, transports, name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
    )
    .bind(
      credential.id,
      userId,
      base64url.encode(credential.publicKey),
      credential.counter,
      (credential.transports ?? []).join(" "),
      name,
      now(),
    )
    .run();
  return { id: credential.id, name };
}

/** POST /account/passkeys/options: starts adding a passkey to the signed-in account. */
export async function registrationOptions(request: Request, context: AppContext): Promise<Response> {
  const checked = await signedInPost(request, context);
  if (checked instanceof Response) return checked;
  return startRegistration(request, context, checked.user, checked.id, "register");
}

/** POST /account/passkeys/verify: checks the new credential and stores its public key. */
export async function registrationVerify(request: Request, context: AppContext): Promise<Response> {
  const checked = await signedInPost(request, context);
  if (checked instanceof Response) return checked;
  const { user, id, body } = checked;
  const credential = await finishRegistration(request, context, user.id, id, "register", body["response"]);
  if (credential instanceof Response) return credential;
  const stored = await storePasskey(context.db, user.id, credential);
  context.audit({ event: "passkey_added", outcome: "ok", userId: user.id, address: clientAddress(request) });
  return Response.json(stored, { status: 201, headers: { "Cache-Control": "no-store" } });
}

/** The pre-sign-in browser's passkey POST: its cookie id and body, after {@link checkedPost} and the address limit. */
async function signInPost(request: Request, context: AppContext) {
  const checked = await checkedPost(request, context, { purpose: "login", body: "json", signedIn: false });
  if (checked instanceof Response) return checked;
  const limited = await checkRateLimit(context.addressLimiter, clientAddress(request), context.rateLimitPeriodSeconds);
  if (limited !== undefined) {
    const period = String(context.rateLimitPeriodSeconds);
    return problem(429, "rate_limited", `Too many sign-in attempts. Wait ${period} seconds.`, {
      "Retry-After": period,
    });
  }
  return checked;
}

/** POST /login/passkey/options: a challenge for a usernameless sign-in in this browser. */
export async function authenticationOptions(request: Request, context: AppContext): Promise<Response> {
  const checked = await signInPost(request, context);
  if (checked instanceof Response) return checked;
  const options = await generateAuthenticationOptions({ rpID: rpId(context), userVerification: "required" });
  const key = await challengeKey("sign-in", checked.id);
  if (!(await saveChallenge(context.db, key, options.challenge, null, clientAddress(request)))) {
    return tooManyCeremonies(request);
  }
  return Response.json(options, { headers: { "Cache-Control": "no-store" } });
}

/** The one answer for an unknown passkey, a bad assertion and a disabled account. */
export const PASSKEY_FAILED = "This passkey could not sign you in.";

/** POST /login/passkey/verify: the assertion; on success a new session, as a password sign-in. */
export async function authenticationVerify(request: Request, context: AppContext): Promise<Response> {
  const checked = await signInPost(request, context);
  if (checked instanceof Response) return checked;
  const { id: formId, body } = checked;
  const address = clientAddress(request);
  const open = await takeChallenge(context.db, await challengeKey("sign-in", formId));
  if (open === undefined) {
    return problem(400, "expired", "This sign-in has expired or was already used. Start again.");
  }
  const response = body["response"] as AuthenticationResponseJSON | undefined;
  const credentialId = typeof response?.id === "string" ? response.id : "";
  const row = await context.db.prepare("SELECT * FROM passkeys WHERE id = ?").bind(credentialId).first<PasskeyRow>();
  const fail = (detail: string, userId?: string) => {
    consoleLog("warn", refusal(request, 401, "passkey_sign_in_failed"));
    context.audit({ event: "sign_in", outcome: "failed", userId, address, detail });
    return problem(401, "sign_in_failed", PASSKEY_FAILED);
  };
  if (row === null || response === undefined) return fail("unknown_passkey");
  let verified;
  try {
    verified = await verifyAuthenticationResponse({
      response,
      expectedChallenge: open.challenge,
      expectedOrigin: context.publicOrigin,
      expectedRPID: rpId(context),
      credential: {
        id: row.id,
        publicKey: new Uint8Array(base64url.decode(row.public_key)),
        counter: row.counter,
      },
      // The passkey is the only factor: the authenticator must have verified the person (UV flag).
      requireUserVerification: true,
    });
  } catch (error) {
    const reason = error instanceof Error && /origin/i.test(error.message) ? "wrong_origin" : "bad_assertion";
    return fail(reason, row.user_id);
  }
  if (!verified.verified) return fail("bad_assertion", row.user_id);
  const user = await getUser(context.db, row.user_id);
  if (user === undefined || user.disabled) return fail("disabled", row.user_id);
  await context.db
    .prepare("UPDATE passkeys SET counter = ?, last_used_at = ? WHERE id = ?")
    .bind(verified.authenticationInfo.newCounter, now(), row.id)
    .run();
  const headers = await startSession(context, user.id, formId);
  context.audit({ event: "sign_in", outcome: "ok", userId: user.id, address, detail: "passkey" });
  context.audit({ event: "passkey_used", outcome: "ok", userId: user.id, address });
  const returnTo = safeReturnTo(typeof body["return_to"] === "string" ? body["return_to"] : "", context.publicOrigin);
  return Response.json({ redirect: returnTo ?? "/account" }, { headers });
}

/** GET /passkeys.js: the pages' one script. No inline code anywhere (CSP `script-src 'self'`). */
export function passkeyScript(): Response {
  return new Response(PASSKEY_SCRIPT, {
    headers: {
      "Content-Type": "text/javascript; charset=utf-8",
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
}

const PASSKEY_SCRIPT = `// Passkeys on this server's pages: add one on /account, sign in with one on /login, choose one
// on /invite (which also opens an invitation from its link's fragment).
"use strict";
const post = async (path, body) => {
  const response = await fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error_description || "HTTP " + response.status);
  return data;
};
const say = (text) => {
  const status = document.getElementById("passkey-status");
  if (status) status.textContent = text;
};
// A button of the page that runs a ceremony with its data-* values; a failure is said beside it.
const onClick = (id, failed, ceremony) => {
  const button = document.getElementById(id);
  if (!button) return;
  button.addEventListener("click", async () => {
    try {
      await ceremony(button.dataset);
    } catch (error) {
      say(failed + error.message);
    }
  });
};
onClick("add-passkey", "Could not add a passkey: ", async ({ csrf }) => {
  const options = await post("/account/passkeys/options", { csrf });
  const credential = await navigator.credentials.create({
    publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options),
  });
  await post("/account/passkeys/verify", { csrf, response: credential.toJSON() });
  location.reload();
});
onClick("passkey-sign-in", "Passkey sign-in failed: ", async ({ csrf, returnTo }) => {
  const options = await post("/login/passkey/options", { csrf });
  const credential = await navigator.credentials.get({
    publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options),
  });
  const result = await post("/login/passkey/verify", { csrf, return_to: returnTo || "", response: credential.toJSON() });
  location.assign(result.redirect);
});
// An invitation link carries its code in the fragment, which no request ever contains: it goes
// into the form, leaves the address bar and history, and is posted.
const inviteCode = document.getElementById("invite-code");
const openInvite = () => {
  if (!inviteCode || location.hash.length <= 1) return;
  inviteCode.value = location.hash.slice(1, 65);
  history.replaceState(null, "", location.pathname + location.search);
  inviteCode.form.submit();
};
if (inviteCode) {
  openInvite();
  // A link opened while this page is shown changes only the fragment: no new page load.
  addEventListener("hashchange", openInvite);
}
// The invitation's passkey choice, offered only where the browser can make one.
const invitePasskey = document.getElementById("invite-passkey");
if (invitePasskey && window.PublicKeyCredential) invitePasskey.hidden = false;
onClick("invite-passkey", "Could not add a passkey: ", async ({ csrf, code, returnTo }) => {
  const options = await post("/invite/passkey/options", { csrf, code });
  const credential = await navigator.credentials.create({
    publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options),
  });
  const result = await post("/invite/passkey/verify", { csrf, code, return_to: returnTo || "", response: credential.toJSON() });
  location.assign(result.redirect);
});
`;

// /account: the signed-in user's connected apps (with Revoke) and passkeys (add, remove), and
// sign-out. Every POST checks where it came from and a CSRF token bound to the session.
import type { GrantSummary, OAuthHelpers } from "@cloudflare/workers-oauth-provider";
import { clientAddress, consoleLog, html, layout, messagePage, pageHeaders, refusal } from "@mcp-auth/auth-common";
import { checkCsrfToken, csrfToken, forgedForm, ownPageForm, sessionIdHash } from "@mcp-auth/auth-common/accounts";
import { forgetApprovals } from "./approvals.ts";
import { listPasskeys, removePasskey } from "./passkeys.ts";
import { currentSession } from "./sessions.ts";
import { appUse, audit, endOtherSessions, recordRevokedGrants, type User, type UserDatabase } from "./users.ts";

export interface AccountContext {
  oauth: OAuthHelpers;
  db: UserDatabase;
  publicOrigin: string;
  sessionSecret: string;
  defer: (work: Promise<unknown>) => void;
}

/** The most grants the page lists (and a revoke searches): far more than anyone connects. */
const MAX_GRANTS = 500;

/** A grant id as the library makes them; anything else is refused before a lookup. */
const GRANT_ID = /^[A-Za-z0-9_-]{1,128}$/;

const when = (seconds: number | undefined) =>
  seconds === undefined ? "never" : new Date(seconds * 1000).toISOString().replace("T", " ").slice(0, 16) + " UTC";

const seeOther = (location: string) => new Response(null, { status: 303, headers: { Location: location } });

/** Every grant of a user, newest first (the library pages them). */
export async function userGrants(oauth: OAuthHelpers, userId: string): Promise<GrantSummary[]> {
  const grants: GrantSummary[] = [];
  let cursor: string | undefined;
  do {
    const page = await oauth.listUserGrants(userId, cursor === undefined ? {} : { cursor });
    grants.push(...page.items);
    cursor = page.cursor;
  } while (cursor !== undefined && grants.length < MAX_GRANTS);
  return grants.sort((a, b) => b.createdAt - a.createdAt);
}

/** The name a client gave itself, or its id when it is gone or its document cannot be fetched. */
async function clientName(oauth: OAuthHelpers, clientId: string): Promise<string> {
  try {
    return (await oauth.lookupClient(clientId))?.clientName ?? clientId;
  } catch {
    return clientId;
  }
}

/** GET /account. */
export async function showAccount(request: Request, context: AccountContext): Promise<Response> {
  const { user, id } = await currentSession(request, context.db);
  if (user === undefined || id === undefined) return seeOther("/login");
  const [grants, used, passkeys] = await Promise.all([
    userGrants(context.oauth, user.id),
    appUse(context.db, user.id),
    listPasskeys(context.db, user.id),
  ]);
  const names = await Promise.all(grants.map((grant) => clientName(context.oauth, grant.clientId)));
  const [revokeToken, passkeyToken, logoutToken] = await Promise.all(
    ["revoke", "passkey", "logout"].map((purpose) => csrfToken(context.sessionSecret, id, purpose)),
  );
  const body = html`<h1>Your account</h1>
    <p>Signed in as <strong class="signed-in-as">${user.email}</strong> (${user.displayName}).</p>
    <form method="post" action="/logout">
      <input type="hidden" name="csrf" value="${logoutToken}" />
      <button type="submit">Sign out</button>
    </form>
    <h2>Connected apps</h2>
    ${
      grants.length === 0
        ? html`<p class="lead" id="no-apps">No app can use your account.</p>`
        : html`<table id="apps">
            <tr>
              <th>App</th>
              <th>May</th>
              <th>Since</th>
              <th>Last used</th>
              <th></th>
            </tr>
            ${grants.map(
              (grant, index) =>
                html`<tr>
                  <td class="app-name">${names[index]}</td>
                  <td><code>${grant.scope.join(" ")}</code></td>
                  <td>${when(grant.createdAt)}</td>
                  <td>${when(used.get(grant.clientId))}</td>
                  <td>
                    <form method="post" action="/account/revoke">
                      <input type="hidden" name="csrf" value="${revokeToken}" />
                      <input type="hidden" name="grant" value="${grant.id}" />
                      <button type="submit">Revoke</button>
                    </form>
                  </td>
                </tr>`,
            )}
          </table>`
    }
    <h2>Passkeys</h2>
    ${
      passkeys.length === 0
        ? html`<p class="lead" id="no-passkeys">No passkey yet: add one to sign in without a password.</p>`
        : html`<table id="passkeys">
            <tr>
              <th>Passkey</th>
              <th>Added</th>
              <th>Last used</th>
              <th></th>
            </tr>
            ${passkeys.map(
              (passkey) =>
                html`<tr>
                  <td class="passkey-name">${passkey.name}</td>
                  <td>${when(passkey.createdAt)}</td>
                  <td>${when(passkey.lastUsedAt)}</td>
                  <td>
                    <form method="post" action="/account/passkeys/remove">
                      <input type="hidden" name="csrf" value="${passkeyToken}" />
                      <input type="hidden" name="passkey" value="${passkey.id}" />
                      <button type="submit">Remove</button>
                    </form>
                  </td>
                </tr>`,
            )}
          </table>`
    }
    <p>
      <button type="button" id="add-passkey" data-csrf="${passkeyToken}">Add a passkey</button>
      <span id="passkey-status" role="status"></span>
    </p>`;
  return new Response(layout("Your account", body, { scripts: ["/passkeys.js"] }).value, {
    status: 200,
    headers: pageHeaders({ selfScripts: true, connectSelf: true }),
  });
}

/** The checks every /account POST makes; the user and form, or the refusal. */
async function accountPost(
  request: Request,
  context: AccountContext,
  purpose: string,
): Promise<{ user: User; id: string; form: URLSearchParams } | Response> {
  const form = await ownPageForm(request, context.publicOrigin, purpose);
  if (form instanceof Response) return form;
  if (form === undefined) return messagePage(400, "Not changed", "The form is missing or malformed.");
  const { user, id } = await currentSession(request, context.db);
  if (user === undefined || id === undefined) return seeOther("/login");
  if (!(await checkCsrfToken(context.sessionSecret, id, purpose, form.get("csrf")))) {
    return forgedForm(request, `${purpose}_csrf`);
  }
  return { user, id, form };
}

/** POST /account/revoke: ends one of the signed-in user's grants, and only one of theirs. */
export async function revokeApp(request: Request, context: AccountContext): Promise<Response> {
  const checked = await accountPost(request, context, "revoke");
  if (checked instanceof Response) return checked;
  const { user, form } = checked;
  const grantId = form.get("grant") ?? "";
  if (!GRANT_ID.test(grantId)) {
    return messagePage(400, "Not changed", "That is not a connected app's id.");
  }
  // Only a grant listed under this user is revoked: another user's id changes nothing.
  const grant = (await userGrants(context.oauth, user.id)).find((candidate) => candidate.id === grantId);
  if (grant === undefined) {
    consoleLog("warn", refusal(request, 404, "grant_not_found", { subject: user.id }));
    return messagePage(404, "Not changed", "You have no connected app with that id.");
  }
  // D1 first: every location refuses the grant's tokens within seconds (src/account-check.ts),
  // and the approval remembered for this app ends with it: it is asked again next time.
  await recordRevokedGrants(context.db, user.id, [grant.id]);
  await forgetApprovals(context.db, user.id, grant.clientId);
  await context.oauth.revokeGrant(grant.id, user.id);
  context.defer(
    audit(context.db, {
      event: "grant_revoked",
      outcome: "ok",
      userId: user.id,
      clientId: grant.clientId,
      grantId: grant.id,
      address: clientAddress(request),
      detail: "account_page",
    }),
  );
  return seeOther("/account");
}

/** POST /account/passkeys/remove: removes one of the signed-in user's passkeys. */
export async function removePasskeyForm(request: Request, context: AccountContext): Promise<Response> {
  const checked = await accountPost(request, context, "passkey");
  if (checked instanceof Response) return checked;
  const { user, id, form } = checked;
  const passkeyId = form.get("passkey") ?? "";
  if (!(await removePasskey(context.db, user.id, passkeyId))) {
    return messagePage(404, "Not changed", "You have no passkey with that id.");
  }
  // A passkey is a credential: whoever signed in with it elsewhere is signed out. This browser,
  // which removed it, stays signed in; grants stay (a password change can end those).
  await endOtherSessions(context.db, user.id, await sessionIdHash(id));
  context.defer(
    audit(context.db, {
      event: "passkey_removed",
      outcome: "ok",
      userId: user.id,
      address: clientAddress(request),
      detail: "other sessions ended",
    }),
  );
  return seeOther("/account");
}

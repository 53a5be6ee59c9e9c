// /account: the signed-in user's connected apps (with Revoke) and passkeys (add, remove), and
// sign-out. Every POST checks where it came from and a CSRF token bound to the session.
import type { GrantSummary, OAuthHelpers } from "@cloudflare/workers-oauth-provider";
import {
  type SafeHtml,
  clientAddress,
  consoleLog,
  html,
  layout,
  messagePage,
  pageHeaders,
  refusal,
} from "@mcp-auth/auth-common";
import { csrfToken, sessionIdHash } from "@mcp-auth/auth-common/accounts";
import { forgetApprovals } from "./approvals.ts";
import { checkedPost, currentSession } from "./checked-post.ts";
import type { RouteContext } from "./context.ts";
import { listPasskeys, removePasskey } from "./passkeys.ts";
import { appUse, endOtherSessions, isKeyId, recordAndAuditRevokedGrants } from "./users.ts";

/** The most grants the page lists (and a revoke searches): far more than anyone connects. */
const MAX_GRANTS = 500;

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

/** A one-button form of the account page: its CSRF token and, in a row, the id it acts on. */
function buttonForm(action: string, csrf: string, label: string, field?: readonly [string, string]): SafeHtml {
  return html`<form method="post" action="${action}">
    <input type="hidden" name="csrf" value="${csrf}" />
    ${field === undefined ? "" : html`<input type="hidden" name="${field[0]}" value="${field[1]}" />`}
    <button type="submit">${label}</button>
  </form>`;
}

/**
 * A table of the account page: a heading row, then one row per item whose first cell is given
 * whole (it carries the item's class) and whose last, unheaded one holds its button.
 */
function table(id: string, headings: readonly string[], rows: readonly [SafeHtml, ...(SafeHtml | string)[]][]) {
  return html`<table id="${id}">
    <tr>
      ${headings.map((heading) => html`<th>${heading}</th>`)}
      <th></th>
    </tr>
    ${rows.map(
      ([first, ...cells]) =>
        html`<tr>
          ${first}${cells.map((cell) => html`<td>${cell}</td>`)}
        </tr>`,
    )}
  </table>`;
}

/** GET /account. */
export async function showAccount(request: Request, context: RouteContext): Promise<Response> {
  const { user, id } = await currentSession(request, context.db);
  if (user === undefined || id === undefined) return seeOther("/login");
  const [grants, used, passkeys] = await Promise.all([
    userGrants(context.oauth, user.id),
    appUse(context.db, user.id),
    listPasskeys(context.db, user.id),
  ]);
  const names = await Promise.all(grants.map((grant) => clientName(context.oauth, grant.clientId)));
  const token = (purpose: string) => csrfToken(context.sessionSecret, id, purpose);
  const [revokeToken, passkeyToken, logoutToken] = await Promise.all([
    token("revoke"),
    token("passkey"),
    token("logout"),
  ]);
  const body = html`<h1>Your account</h1>
    <p>Signed in as <strong class="signed-in-as">${user.email}</strong> (${user.displayName}).</p>
    ${buttonForm("/logout", logoutToken, "Sign out")}
    <h2>Connected apps</h2>
    ${
      grants.length === 0
        ? html`<p class="lead" id="no-apps">No app can use your account.</p>`
        : table(
            "apps",
            ["App", "May", "Since", "Last used"],
            grants.map((grant, index) => [
              html`<td class="app-name">${names[index]}</td>`,
              html`<code>${grant.scope.join(" ")}</code>`,
              when(grant.createdAt),
              when(used.get(grant.clientId)),
              buttonForm("/account/revoke", revokeToken, "Revoke", ["grant", grant.id]),
            ]),
          )
    }
    <h2>Passkeys</h2>
    ${
      passkeys.length === 0
        ? html`<p class="lead" id="no-passkeys">No passkey yet: add one to sign in without a password.</p>`
        : table(
            "passkeys",
            ["Passkey", "Added", "Last used"],
            passkeys.map((passkey) => [
              html`<td class="passkey-name">${passkey.name}</td>`,
              when(passkey.createdAt),
              when(passkey.lastUsedAt),
              buttonForm("/account/passkeys/remove", passkeyToken, "Remove", ["passkey", passkey.id]),
            ]),
          )
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

/** POST /account/revoke: ends one of the signed-in user's grants, and only one of theirs. */
export async function revokeApp(request: Request, context: RouteContext): Promise<Response> {
  const checked = await checkedPost(request, context, { purpose: "revoke", body: "form", signedIn: true });
  if (checked instanceof Response) return checked;
  const { user, body } = checked;
  const grantId = body.get("grant") ?? "";
  if (!isKeyId(grantId)) {
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
  const why = { detail: "account_page", address: clientAddress(request) };
  await recordAndAuditRevokedGrants(context.db, user.id, [grant], why, context.audit);
  await forgetApprovals(context.db, user.id, grant.clientId);
  await context.oauth.revokeGrant(grant.id, user.id);
  return seeOther("/account");
}

/** POST /account/passkeys/remove: removes one of the signed-in user's passkeys. */
export async function removePasskeyForm(request: Request, context: RouteContext): Promise<Response> {
  const checked = await checkedPost(request, context, { purpose: "passkey", body: "form", signedIn: true });
  if (checked instanceof Response) return checked;
  const { user, id, body } = checked;
  const passkeyId = body.get("passkey") ?? "";
  if (!(await removePasskey(context.db, user.id, passkeyId))) {
    return messagePage(404, "Not changed", "You have no passkey with that id.");
  }
  // A passkey is a credential: whoever signed in with it elsewhere is signed out. This browser,
  // which removed it, stays signed in; grants stay (a password change can end those).
  await endOtherSessions(context.db, user.id, await sessionIdHash(id));
  context.audit({
    event: "passkey_removed",
    outcome: "ok",
    userId: user.id,
    address: clientAddress(request),
    detail: "other sessions ended",
  });
  return seeOther("/account");
}

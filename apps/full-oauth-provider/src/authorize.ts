// /authorize for this server's own users: sign in first (the login page comes back here), then
// the consent page, unless this user already approved this client, redirect URI and resource
// for these scopes (src/approvals.ts) and skipping it cannot end a connection behind their back.
import type { AuthRequest, GrantSummary } from "@cloudflare/workers-oauth-provider";
import { clientAddress, messagePage, redirect } from "@mcp-auth/auth-common";
import { csrfToken, safeReturnTo } from "@mcp-auth/auth-common/accounts";
import {
  askConsent,
  grantIdOf,
  grantPropsSchema,
  knownScopes,
  readAuthorizeRequest,
} from "@mcp-auth/auth-common/authorization-server";
import { userGrants } from "./account.ts";
import { approvalCovers, forgetApprovals, rememberApproval } from "./approvals.ts";
import { checkedPost, currentSession } from "./checked-post.ts";
import type { RouteContext } from "./context.ts";
import { recordAndAuditRevokedGrants, type User } from "./users.ts";

/**
 * The user's grants that issuing a code for `authRequest` replaces: the library revokes a user's
 * earlier grants of the same client and resource (for a CIMD client, of the same redirect URI too).
 */
async function grantsReplacedBy(context: RouteContext, authRequest: AuthRequest, user: User) {
  const cimd = authRequest.clientId.startsWith("https://");
  return (await userGrants(context.oauth, user.id)).filter(
    (grant: GrantSummary) =>
      grant.clientId === authRequest.clientId &&
      (authRequest.resource === undefined ||
        grant.resource === undefined ||
        [grant.resource].flat().includes(authRequest.resource)) &&
      (!cimd || grant.redirectUri === authRequest.redirectUri),
  );
}

/**
 * Issues the code: the grant is this user's, for exactly the scopes approved. The library
 * revokes the client's earlier grants (`replaced`, read before); they are recorded in D1 too, so
 * /mcp refuses their tokens everywhere within seconds, and audited as `grant_revoked` `replaced`.
 */
async function complete(
  request: Request,
  context: RouteContext,
  authRequest: AuthRequest,
  user: User,
  headers = new Headers(),
  replaced?: GrantSummary[],
): Promise<Response> {
  const props = grantPropsSchema.parse({
    subject: user.id,
    displayName: user.displayName,
    issuer: context.publicOrigin,
  });
  replaced ??= await grantsReplacedBy(context, authRequest, user);
  // Never more than the resource allows, whatever was asked or remembered.
  const scope = knownScopes(context.consent(authRequest.resource).scopes, authRequest.scope);
  const { redirectTo } = await context.oauth.completeAuthorization({
    request: authRequest,
    // The user id holds no ":" (the library's separator) by construction; see users.ts.
    userId: user.id,
    metadata: {},
    scope,
    props,
  });
  const address = clientAddress(request);
  // The code has the library's token shape, `userId:grantId:secret`: only the grant id is kept.
  const grantId = grantIdOf(new URL(redirectTo).searchParams.get("code") ?? "");
  context.audit({
    event: "grant_created",
    outcome: "ok",
    userId: user.id,
    clientId: authRequest.clientId,
    grantId,
    address,
    detail: scope.join(" "),
  });
  await recordAndAuditRevokedGrants(context.db, user.id, replaced, { detail: "replaced", address }, context.audit);
  return redirect(redirectTo, headers);
}

/**
 * Whether the person started this navigation themselves: opened from outside any page
 * (Sec-Fetch-Site `none`: the MCP client launched the browser, a typed or bookmarked address).
 * Another site's navigation is `cross-site` or `same-site`; `same-origin` is not enough either,
 * since another site's navigation may have passed through the login page on its way here; a
 * request without the header (not a current browser) is not trusted.
 */
function startedByUser(request: Request): boolean {
  return request.headers.get("sec-fetch-site") === "none";
}

/** GET /authorize: validate, sign in, then ask (or remember). */
export async function showConsent(request: Request, context: RouteContext): Promise<Response> {
  const authRequest = await readAuthorizeRequest(request, context.oauth);
  if (authRequest instanceof Response) return authRequest;
  const { user, id } = await currentSession(request, context.db);
  if (user === undefined || id === undefined) {
    const url = new URL(request.url);
    const returnTo = safeReturnTo(`${url.pathname}${url.search}`, context.publicOrigin);
    if (returnTo === undefined) {
      return messagePage(400, "This sign-in cannot continue", "The authorization request is too long.");
    }
    return redirect(`/login?${new URLSearchParams({ return_to: returnTo }).toString()}`);
  }
  // A remembered approval skips the page, unless issuing would replace a live grant of this
  // client and the person did not start this navigation: another site could otherwise log their
  // working client out (the library revokes its grant) with an approval nobody saw.
  const replaces = await grantsReplacedBy(context, authRequest, user);
  if ((await approvalCovers(context.db, user.id, authRequest)) && (replaces.length === 0 || startedByUser(request))) {
    return complete(request, context, authRequest, user, new Headers(), replaces);
  }
  return askConsent(context.oauth, authRequest, context.consent(authRequest.resource), {
    csrf: await csrfToken(context.sessionSecret, id, "consent"),
    signedInAs: user.email,
    ...(replaces.length === 0
      ? {}
      : {
          next: "This app is already connected to your account: Allow replaces that connection, and the app's current sign-in stops working.",
        }),
  });
}

/** POST /authorize: the signed-in user's decision, from our page in this browser. */
export async function decide(request: Request, context: RouteContext): Promise<Response> {
  const checked = await checkedPost(request, context, {
    purpose: "consent",
    body: "form",
    signedIn: true,
    signedOut: () =>
      messagePage(400, "This sign-in cannot continue", "Your sign-in has ended. Start again from your MCP client."),
  });
  if (checked instanceof Response) return checked;
  const { user, body: form } = checked;
  const handle = form.get("handle");
  if (handle === null) {
    return messagePage(400, "This sign-in cannot continue", "The consent form is missing or malformed.");
  }
  const address = clientAddress(request);
  if (form.get("decision") !== "approve") {
    const denied = await context.oauth.denyConsent(request, handle);
    const clientId = denied.request.clientId;
    // Saying no also ends any approval remembered for this client.
    await forgetApprovals(context.db, user.id, clientId);
    context.audit({ event: "consent", outcome: "denied", userId: user.id, clientId, address });
    return redirect(denied.redirectTo, denied.headers);
  }
  const approved = await context.oauth.approveConsent(request, handle, {
    // Capped by the request's resource when the grant is issued (complete).
    scope: knownScopes(context.consent(undefined).scopes, form.getAll("scope")),
  });
  await rememberApproval(context.db, user.id, approved.request, approved.request.scope);
  context.audit({
    event: "consent",
    outcome: "approved",
    userId: user.id,
    clientId: approved.request.clientId,
    address,
    detail: approved.request.scope.join(" "),
  });
  return complete(request, context, approved.request, user, approved.headers);
}

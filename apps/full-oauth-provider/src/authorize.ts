// /authorize for this server's own users: sign in first (the login page comes back here), then
// the consent page, unless this user already approved this client, redirect URI and resource
// for these scopes.
import type { AuthRequest, OAuthHelpers } from "@cloudflare/workers-oauth-provider";
import {
  checkCsrfToken,
  clientAddress,
  consentPage,
  csrfToken,
  forgedForm,
  grantPropsSchema,
  messagePage,
  readSessionCookie,
  safeReturnTo,
} from "@mcp-auth/auth-common";
import {
  authorizeFailure,
  consentForm,
  knownScopes,
  pkceRefusal,
  redirect,
} from "@mcp-auth/auth-common/authorization-server";
import { INITIAL_SCOPES, SCOPES, SCOPE_DESCRIPTIONS } from "@mcp-auth/mcp-core";
import { currentSession } from "./sessions.ts";
import { audit, type User, type UserDatabase } from "./users.ts";

export interface AuthorizeContext {
  oauth: OAuthHelpers;
  db: UserDatabase;
  publicOrigin: string;
  serverName: string;
  sessionSecret: string;
  defer: (work: Promise<unknown>) => void;
}

/** Issues the code: the grant is this user's, for exactly the scopes approved. */
async function complete(
  request: Request,
  context: AuthorizeContext,
  authRequest: AuthRequest,
  user: User,
  headers = new Headers(),
): Promise<Response> {
  const props = grantPropsSchema.parse({
    subject: user.id,
    displayName: user.displayName,
    issuer: context.publicOrigin,
  });
  const { redirectTo } = await context.oauth.completeAuthorization({
    request: authRequest,
    // The user id holds no ":" (the library's separator) by construction; see users.ts.
    userId: user.id,
    metadata: {},
    scope: authRequest.scope,
    props,
  });
  context.defer(
    audit(context.db, {
      event: "grant_created",
      outcome: "ok",
      userId: user.id,
      clientId: authRequest.clientId,
      address: clientAddress(request),
      detail: authRequest.scope.join(" "),
    }),
  );
  return redirect(redirectTo, headers);
}

const remember = (context: AuthorizeContext, user: User) => ({ secret: context.sessionSecret, subject: user.id });

/** GET /authorize: validate, sign in, then ask (or remember). */
async function showConsent(request: Request, context: AuthorizeContext): Promise<Response> {
  const authRequest = await context.oauth.parseAuthRequest(request);
  const noPkce = pkceRefusal(authRequest);
  if (noPkce) return noPkce;
  const { user, id } = await currentSession(request, context.db);
  if (user === undefined || id === undefined) {
    const url = new URL(request.url);
    const returnTo = safeReturnTo(`${url.pathname}${url.search}`, context.publicOrigin);
    if (returnTo === undefined) {
      return messagePage(400, "This sign-in cannot continue", "The authorization request is too long.");
    }
    return redirect(`/login?${new URLSearchParams({ return_to: returnTo }).toString()}`);
  }
  if (await context.oauth.isConsentRemembered(request, authRequest, remember(context, user))) {
    return complete(request, context, authRequest, user);
  }
  const details = await context.oauth.describeConsent(authRequest);
  const asked = knownScopes(SCOPES, details.scope);
  const checked = asked.length > 0 ? asked : [...INITIAL_SCOPES];
  const consent = await context.oauth.beginConsent(authRequest);
  return consentPage({
    client: details,
    handle: consent.handle,
    headers: consent.headers,
    csrf: await csrfToken(context.sessionSecret, id, "consent"),
    signedInAs: user.email,
    scopes: SCOPES.map((scope) => ({
      scope,
      description: SCOPE_DESCRIPTIONS[scope],
      checked: checked.includes(scope),
    })),
    serverName: context.serverName,
    formAction: [details.redirectUri],
  });
}

/** POST /authorize: the signed-in user's decision, from our page in this browser. */
async function decide(request: Request, context: AuthorizeContext): Promise<Response> {
  const consent = await consentForm(request, context.publicOrigin);
  if (consent instanceof Response) return consent;
  const { form, handle } = consent;
  const { user } = await currentSession(request, context.db);
  const id = readSessionCookie(request);
  if (user === undefined || id === undefined) {
    return messagePage(
      400,
      "This sign-in cannot continue",
      "Your sign-in has ended. Start again from your MCP client.",
    );
  }
  if (!(await checkCsrfToken(context.sessionSecret, id, "consent", form.get("csrf")))) {
    return forgedForm(request, "consent_csrf");
  }
  const address = clientAddress(request);
  if (form.get("decision") !== "approve") {
    const denied = await context.oauth.denyConsent(request, handle);
    context.defer(audit(context.db, { event: "consent", outcome: "denied", userId: user.id, address }));
    return redirect(denied.redirectTo, denied.headers);
  }
  const approved = await context.oauth.approveConsent(request, handle, {
    scope: knownScopes(SCOPES, form.getAll("scope")),
    remember: remember(context, user),
  });
  context.defer(
    audit(context.db, {
      event: "consent",
      outcome: "approved",
      userId: user.id,
      clientId: approved.request.clientId,
      address,
      detail: approved.request.scope.join(" "),
    }),
  );
  return complete(request, context, approved.request, user, approved.headers);
}

/** The routes this app owns inside the authorization server. */
export async function authorizeRoutes(request: Request, context: AuthorizeContext): Promise<Response | undefined> {
  if (new URL(request.url).pathname !== "/authorize") return undefined;
  try {
    if (request.method === "GET") return await showConsent(request, context);
    if (request.method === "POST") return await decide(request, context);
  } catch (error) {
    return authorizeFailure(request, error);
  }
  return messagePage(405, "Method not allowed", "This address takes a browser's GET (or the consent form's POST).");
}

import { authorizationErrorRedirect, type AuthRequest, type OAuthHelpers } from "@cloudflare/workers-oauth-provider";
import { consoleLog, messagePage, redirect, refusal, sha256Hex, tenantKey, type Routes } from "@mcp-auth/auth-common";
import {
  askConsent,
  authorizeFailure,
  browserRoute,
  consentForm,
  grantPropsSchema,
  knownScopes,
  readAuthorizeRequest,
  type ConsentScopes,
  type PageContext,
} from "@mcp-auth/auth-common/authorization-server";
import { UpstreamError, type UpstreamClient } from "@mcp-auth/auth-common/upstream";

/** What the library carries across the upstream redirect for us (encrypted, single use). */
interface PendingUpstream {
  codeVerifier: string;
  nonce?: string;
}

/** What the authorization flow needs that is fixed per configuration. */
export interface AuthorizeSettings {
  upstream: UpstreamClient;
  publicOrigin: string;
  upstreamName: string;
  consent: ConsentScopes;
}

/** One request's view: the library's helpers, its store (`OAUTH_KV`, where a refused callback's transaction is spent). */
interface AuthorizeContext extends AuthorizeSettings {
  oauth: OAuthHelpers;
  kv: KVNamespace;
}

/**
 * The upstream being down renders a page; the library's own refusals are the shared
 * {@link authorizeFailure}'s.
 */
function renderFailure(request: Request, error: unknown): Response {
  if (error instanceof UpstreamError) {
    consoleLog("warn", refusal(request, 503, `upstream_${error.code}`));
    return messagePage(
      503,
      "The identity provider is not available",
      "Signing in there is not possible right now; try again shortly.",
    );
  }
  return authorizeFailure(request, error);
}

/** GET /authorize: validate, then always ask this user about this client before going upstream. */
async function showConsent(request: Request, context: AuthorizeContext): Promise<Response> {
  const authRequest = await readAuthorizeRequest(request, context.oauth);
  if (authRequest instanceof Response) return authRequest;
  return askConsent(context.oauth, authRequest, context.consent, {
    next: `After Allow you sign in at ${context.upstreamName}; this server keeps its token and never gives it to the app.`,
    formTargets: [await context.upstream.authorizationOrigin()],
  });
}

/** POST /authorize: the user's decision. Only now, after consent, does `state` exist. */
async function decide(request: Request, context: AuthorizeContext): Promise<Response> {
  // The library binds the handle to this browser with a cookie; a cross-site POST is also
  // refused here, before anything is consumed.
  const consent = await consentForm(request, context.publicOrigin);
  if (consent instanceof Response) return consent;
  const { form, handle } = consent;
  if (form.get("decision") !== "approve") {
    const denied = await context.oauth.denyConsent(request, handle);
    return redirect(denied.redirectTo, denied.headers);
  }
  const approved = await context.oauth.approveConsent(request, handle, {
    scope: knownScopes(context.consent.scopes, form.getAll("scope")),
  });
  const redirectUri = new URL("/callback", context.publicOrigin).href;
  // The library's `state` is the upstream `state`: random, single use, bound to this browser,
  // created only now. The PKCE verifier and nonce travel in its encrypted record.
  const pending = context.upstream.prepare();
  const upstream = await context.oauth.beginUpstream(approved.request, {
    data: pending satisfies PendingUpstream,
    headers: approved.headers,
  });
  const url = await context.upstream.authorizationUrl({ redirectUri, state: upstream.state, pending });
  return redirect(url.href, upstream.headers);
}

/**
 * The library's `finishUpstream()` for this callback, with every refusal spending the transaction.
 *
 * The library deletes the transaction once it has opened it, so every later refusal (an upstream
 * `error`, a failed code exchange, a bad ID token or nonce) is already spent. But when it refuses
 * to open it (no binding cookie, another browser's cookie) it leaves the record for the browser
 * that started the flow, which could then finish it later with the same upstream code: a leaked
 * callback URL (the victim signed in upstream through a link the starter sent) would give the
 * starter's client a grant for the victim's upstream account (the class of CVE-2026-27124).
 * So a refused `state` is deleted here, before the refusal is answered. The key is the library's
 * (`transaction:` + SHA-256 hex of the state, workers-oauth-provider 1.2.3, which offers no
 * discard helper); `test/oauth-proxy.test.ts` "the upstream callback" fails if it changes.
 */
async function resumeOrSpend(request: Request, context: AuthorizeContext, state: string | null) {
  try {
    return await context.oauth.finishUpstream<PendingUpstream>(request);
  } catch (error) {
    if (state !== null && state !== "") await context.kv.delete(`transaction:${await sha256Hex(state)}`);
    throw error;
  }
}

/** GET /callback: the upstream IdP sent the browser back. */
async function finish(request: Request, context: AuthorizeContext): Promise<Response> {
  const callbackUrl = new URL(request.url);
  const resumed = await resumeOrSpend(request, context, callbackUrl.searchParams.get("state"));
  const original: AuthRequest = resumed.request;
  const toClient = (code: "access_denied" | "temporarily_unavailable", description: string) =>
    redirect(authorizationErrorRedirect(original, code, description), resumed.headers);
  let user;
  try {
    user = await context.upstream.finish({
      callbackUrl,
      redirectUri: new URL("/callback", context.publicOrigin).href,
      state: callbackUrl.searchParams.get("state") ?? "",
      pending: resumed.data,
    });
  } catch (error) {
    if (!(error instanceof UpstreamError)) throw error;
    consoleLog("warn", refusal(request, 302, `upstream_${error.code}`, { clientId: original.clientId }));
    if (error.code === "temporarily_unavailable") {
      return toClient("temporarily_unavailable", `${context.upstreamName} is not answering; try again shortly.`);
    }
    return toClient(
      "access_denied",
      error.code === "access_denied"
        ? `The sign-in at ${context.upstreamName} was declined.`
        : `The sign-in at ${context.upstreamName} could not be verified.`,
    );
  }
  const props = grantPropsSchema.parse({
    subject: user.subject,
    ...(user.displayName === undefined ? {} : { displayName: user.displayName }),
    issuer: user.issuer,
    upstream: user.tokens,
  });
  const { redirectTo } = await context.oauth.completeAuthorization({
    request: original,
    // Storage-visible (the library lists and revokes grants by it): the tenant, never a secret.
    // Percent-encoded, so it holds no ":" (the library's separator).
    userId: tenantKey({ method: "oauth", issuer: props.issuer, subject: props.subject }),
    metadata: {},
    scope: original.scope,
    props,
  });
  return redirect(redirectTo, resumed.headers);
}

/**
 * The routes this app owns inside the authorization server, GET and POST /authorize (consent)
 * and GET /callback (the upstream sent the browser back); their failures render as pages.
 */
export function authorizeRoutes(settings: AuthorizeSettings): Routes<PageContext<Env>> {
  const contextOf = ({ env, oauth }: PageContext<Env>): AuthorizeContext => ({ ...settings, oauth, kv: env.OAUTH_KV });
  return {
    "/authorize": browserRoute(
      {
        GET: (request, page) => showConsent(request, contextOf(page)),
        POST: (request, page) => decide(request, contextOf(page)),
      },
      renderFailure,
    ),
    "/callback": browserRoute({ GET: (request, page) => finish(request, contextOf(page)) }, renderFailure),
  };
}

// POST /introspect (RFC 7662): an authorization server answers its registered resource servers
// whether one of its access tokens is active, and for whom. The app knows who the resource
// servers are (their secrets, hashed, and the resources each serves); this module is the wire.
import type { OAuthHelpers } from "@cloudflare/workers-oauth-provider";
import { AuthError } from "../errors.ts";
import { identityFromGrant } from "../grant.ts";
import { readClientSecretBasic } from "../introspection.ts";
import { consoleLog, refusal } from "../log.ts";
import { checkRateLimit, clientAddress, type RateLimiter } from "../rate-limit.ts";
import { sha256Hex } from "../verifier.ts";
import { fitsTokenKey, oauthProblem, tokenForm } from "./front-door.ts";
import type { Identity, Pattern } from "@mcp-auth/identity";

/** The path of the endpoint, advertised as `introspection_endpoint` (RFC 8414 §2). */
export const INTROSPECTION_PATH = "/introspect";

/** A registered resource server, once its secret is proven. */
export interface IntrospectionCaller {
  /** Its client id at this authorization server (never a token's client). */
  id: string;
  /** The resources (RFC 8707 identifiers) it serves: the only audiences it learns about. */
  resources: readonly string[];
}

/** What an app supplies to serve introspection. */
export interface IntrospectionEndpointOptions<E> {
  /** The resource server with this id and secret, or `undefined` (unknown id or wrong secret alike). */
  authenticate: (env: E, id: string, secret: string) => Promise<IntrospectionCaller | undefined>;
  /** Per-caller limit (a Workers Rate Limiting binding), keyed by the caller's id. */
  limiter: (env: E) => RateLimiter;
  /** Seconds in the limiter's period: the honest `Retry-After`. */
  periodSeconds: number;
}

/** What the endpoint needs of the authorization server around it. */
export interface IntrospectionContext<E> {
  env: E;
  oauth: OAuthHelpers;
  issuer: string;
  pattern: Pattern;
  /** Every resource the authorization server issues tokens for. */
  resources: readonly string[];
  /** The per-address limit, counted for a request whose client authentication failed. */
  addressLimit: { limiter: RateLimiter; periodSeconds: number };
  /** The app's own checks (disabled user, revoked grant): an {@link AuthError} makes the token inactive. */
  admit?: ((identity: Identity, grantId: string, tokenHash: string) => Promise<void>) | undefined;
}

const NO_STORE = { "Cache-Control": "no-store", Pragma: "no-cache" };

/** RFC 7662 §2.2: an inactive token is `{"active": false}` and nothing else. */
const inactive = () => Response.json({ active: false }, { headers: NO_STORE });

/**
 * The RFC 7662 endpoint.
 *
 * Validates: `POST` only (405 otherwise); the caller, by HTTP Basic (RFC 6749 §2.3.1) against the
 * app's registered resource servers — none, malformed or wrong is 401 `invalid_client` with
 * `WWW-Authenticate: Basic` (§2.1: the endpoint is never open), counted against the address's
 * limit (429 once spent); the per-caller rate limit (429 with `Retry-After`); a urlencoded form with exactly one non-empty `token` (400
 * `invalid_request`). Then the token: issued here, unexpired, not revoked (the library's record),
 * its audience one of the caller's resources, and the app's `admit` (a disabled user, a revoked
 * grant) — failing any of them is the same `{"active": false}` (§2.2), so a caller learns
 * nothing about tokens meant for others. `token_type_hint` is accepted and ignored (§2.1 allows
 * it: this server introspects access tokens only; a refresh token is inactive here).
 * Every answer is `Cache-Control: no-store`.
 */
export async function introspect<E>(
  request: Request,
  options: IntrospectionEndpointOptions<E>,
  context: IntrospectionContext<E>,
): Promise<Response> {
  if (request.method !== "POST") {
    return oauthProblem(405, "invalid_request", "Introspection takes a POST.", { Allow: "POST" });
  }
  const credentials = readClientSecretBasic(request);
  const caller =
    credentials === undefined
      ? undefined
      : await options.authenticate(context.env, credentials.clientId, credentials.clientSecret);
  if (caller === undefined) {
    // Guessing secrets costs the guesser's address its budget (a right one is never limited by
    // address: a resource server asks for all its users from one).
    const { limiter, periodSeconds } = context.addressLimit;
    const limited = await checkRateLimit(limiter, clientAddress(request), periodSeconds);
    if (limited) {
      consoleLog("warn", refusal(request, 429, "rate_limited"));
      return limited;
    }
    consoleLog(
      "warn",
      refusal(request, 401, credentials === undefined ? "introspection_unauthenticated" : "introspection_bad_client"),
    );
    return oauthProblem(
      401,
      "invalid_client",
      credentials === undefined
        ? "Introspection is for registered resource servers: authenticate with HTTP Basic (client id and secret)."
        : "Client authentication failed.",
      { "WWW-Authenticate": 'Basic realm="introspection", charset="UTF-8"' },
    );
  }
  const { success } = await options.limiter(context.env).limit({ key: caller.id });
  if (!success) {
    consoleLog("warn", refusal(request, 429, "introspection_rate_limited", { clientId: caller.id }));
    return oauthProblem(
      429,
      "rate_limited",
      `Too many introspection requests from this resource server; retry after ${options.periodSeconds} seconds.`,
      { "Retry-After": String(options.periodSeconds) },
    );
  }
  const form = await tokenForm(request);
  const tokens = form?.getAll("token") ?? [];
  const token = tokens[0];
  if (form === undefined || tokens.length !== 1 || token === undefined || token === "") {
    consoleLog("warn", refusal(request, 400, "introspection_malformed", { clientId: caller.id }));
    return oauthProblem(
      400,
      "invalid_request",
      form === undefined
        ? "Send the token as an application/x-www-form-urlencoded body."
        : "Send exactly one non-empty token parameter.",
    );
  }
  let answer: ActiveToken | undefined;
  try {
    answer = await activeToken(token, caller, context);
  } catch {
    // The token store (or the app's own) is down: say so, never "inactive" (a caller caching
    // that would refuse a good token) and never a 500.
    consoleLog("error", { event: "dependency_failed", dependency: "token_store", reason: "introspection" });
    return oauthProblem(503, "temporarily_unavailable", "Token introspection is unavailable right now.", {
      "Retry-After": "30",
    });
  }
  return answer === undefined ? inactive() : Response.json(answer, { headers: NO_STORE });
}

/** The RFC 7662 §2.2 members of an active token. */
interface ActiveToken {
  active: true;
  scope: string;
  client_id: string;
  sub: string;
  aud: string;
  iss: string;
  exp: number;
  iat: number;
  token_type: "Bearer";
}

/** The answer for a token this caller may learn about, or `undefined` (inactive). */
async function activeToken<E>(
  token: string,
  caller: IntrospectionCaller,
  context: IntrospectionContext<E>,
): Promise<ActiveToken | undefined> {
  // A token whose storage key could not exist was never issued (and the library would throw on it).
  if (!fitsTokenKey(token) || token.split(":").length !== 3) return undefined;
  const summary = await context.oauth.unwrapToken(token);
  if (summary === null || summary.expiresAt <= Math.floor(Date.now() / 1000)) return undefined;
  const audiences = summary.audience === undefined ? [] : [summary.audience].flat();
  // Only an audience this server issues for and this caller serves: another resource's tokens
  // are not this caller's business (and a token presented to the wrong server is not valid there).
  const audience = audiences.find(
    (candidate) => caller.resources.includes(candidate) && context.resources.includes(candidate),
  );
  if (audience === undefined || audiences.length !== 1) return undefined;
  let identity: Identity;
  try {
    identity = identityFromGrant(
      { scope: summary.scope, clientId: summary.grant.clientId, expiresAt: summary.expiresAt },
      summary.grant.props,
      context.pattern,
    );
    await context.admit?.(identity, summary.grantId, await sha256Hex(token));
  } catch (error) {
    if (error instanceof AuthError) return undefined;
    throw error;
  }
  return {
    active: true,
    scope: summary.scope.join(" "),
    client_id: summary.grant.clientId,
    sub: identity.subject,
    aud: audience,
    iss: context.issuer,
    exp: summary.expiresAt,
    iat: summary.createdAt,
    token_type: "Bearer",
  };
}

// Operator routes (e.g. mcp-core's notes admin route) behind a secret of their own, for every app
// the same way: resourceServerWorker and authorizationServer call `serveAdmin` for a path in the
// table, and only while the secret is set. No MCP credential works here and the secret works
// nowhere else: /mcp never sees it, and this gate compares against nothing but it.
import { BodyTooLargeError, withBoundedBody } from "./bounded-body.ts";
import { z } from "zod";
import { consoleLog, refusal } from "./log.ts";
import { optionalVar } from "./env.ts";
import { checkRateLimit, clientAddress, type RateLimiter } from "./rate-limit.ts";
import type { Route } from "./routes.ts";
import { sha256Hex, timingSafeEqual } from "./verifier.ts";

/** Shortest admin secret a configuration accepts. */
export const MIN_ADMIN_SECRET_LENGTH = 32;

/**
 * An optional admin secret variable (e.g. NOTES_ADMIN_SECRET): unset or empty turns its routes
 * off; set, it must be at least {@link MIN_ADMIN_SECRET_LENGTH} characters.
 */
export function adminSecretVar() {
  return optionalVar().pipe(
    z
      .string()
      .min(
        MIN_ADMIN_SECRET_LENGTH,
        `at least ${MIN_ADMIN_SECRET_LENGTH} characters (a random value from a password manager), or unset to turn the admin route off`,
      )
      .optional(),
  );
}

/** An app's operator routes: exact paths, each answering every method it serves. */
export interface AdminApi<E> {
  /** The bearer secret; `undefined` means the routes do not exist (they answer as any unknown path). */
  secret: string | undefined;
  routes: Readonly<Record<string, Route<E>>>;
  /** Largest request body a route may receive (413 above it), read before the route runs. */
  maxBodyBytes: number;
}

/** The admin route for `request`'s path, when `admin` is on and serves it. */
export function adminRouteFor<E>(admin: AdminApi<E> | undefined, request: Request): Route<E> | undefined {
  if (admin?.secret === undefined) return undefined;
  const { pathname } = new URL(request.url);
  return Object.hasOwn(admin.routes, pathname) ? admin.routes[pathname] : undefined;
}

/** A JSON refusal in the OAuth error shape, never cached; a 401 names the scheme (RFC 9110 §11.6.1). */
function adminProblem(status: number, error: string, description: string): Response {
  const headers = new Headers({ "Cache-Control": "no-store" });
  if (status === 401) headers.set("WWW-Authenticate", 'Bearer realm="admin"');
  return Response.json({ error, error_description: description }, { status, headers });
}

const BEARER = /^Bearer[\t ]+(\S+)$/i;

/**
 * Answers an admin request after the app's transport checks (Host, Origin, header sizes).
 *
 * Validates: `Authorization: Bearer <secret>` equal to `admin.secret` (compared as SHA-256 digests
 * in constant time, so neither the content nor the length leaks through timing); a failure spends
 * the address's budget on `addressLimit` (429 with `Retry-After` once spent, RFC 6585 §4), else 401
 * `unauthorized`; the body at most `maxBodyBytes` (413), read before the route.
 * Does not validate: what the route does with the request (its own parameters and body).
 */
export async function serveAdmin<E>(
  request: Request,
  env: E,
  admin: AdminApi<E> & { secret: string },
  route: Route<E>,
  addressLimit: { limiter: RateLimiter; periodSeconds: number },
): Promise<Response> {
  const presented = BEARER.exec(request.headers.get("authorization") ?? "")?.[1];
  const admitted =
    presented !== undefined && timingSafeEqual(await sha256Hex(presented), await sha256Hex(admin.secret));
  if (!admitted) {
    // Guessing the secret costs the guesser's address its budget.
    const limited = await checkRateLimit(
      addressLimit.limiter,
      clientAddress(request),
      addressLimit.periodSeconds,
      "failed admin requests from this address",
    );
    if (limited) {
      consoleLog("warn", refusal(request, 429, "admin_rate_limited"));
      return limited;
    }
    consoleLog("warn", refusal(request, 401, presented === undefined ? "admin_unauthenticated" : "admin_bad_secret"));
    return adminProblem(
      401,
      "unauthorized",
      presented === undefined
        ? "This route is for operators: send Authorization: Bearer <the app's admin secret>."
        : "The admin secret is wrong.",
    );
  }
  let bounded: Request;
  try {
    bounded = await withBoundedBody(request, admin.maxBodyBytes);
  } catch (error) {
    if (!(error instanceof BodyTooLargeError)) throw error;
    consoleLog("warn", refusal(request, 413, "body_too_large"));
    return adminProblem(413, "invalid_request", `The request body is limited to ${admin.maxBodyBytes} bytes.`);
  }
  return route(bounded, env);
}

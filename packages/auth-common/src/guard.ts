import { DEFAULT_BODY_LIMITS, readJsonBody, type BodyLimits } from "./body.ts";
import { jsonRpcErrorResponse } from "./json-rpc-error.ts";
import { checkOrigin, type OriginPolicy } from "./origin.ts";
import { checkRateLimit, clientAddress, type RateLimiter } from "./rate-limit.ts";

/** Everything checked about a request to `/mcp` before anyone asks who the caller is. */
export interface GuardOptions {
  origins: OriginPolicy;
  /** Per-address limit; omit only where the platform limits requests some other way. */
  rateLimit?: { limiter: RateLimiter; periodSeconds: number } | undefined;
  body?: BodyLimits | undefined;
}

/** A request that passed the guard; `parsedBody` is set for POST. */
export interface GuardedRequest {
  parsedBody: unknown;
}

/**
 * The transport-level gate every app runs first, cheapest check first: Host/Origin (403), the
 * per-address rate limit (429 + Retry-After), then for POST the body limits (415/413/400).
 * Returns a ready `Response` or the parsed body, so the body is read exactly once.
 */
export async function guardRequest(request: Request, options: GuardOptions): Promise<Response | GuardedRequest> {
  const forbidden = checkOrigin(request, options.origins);
  if (forbidden) return forbidden;
  if (options.rateLimit) {
    const limited = await checkRateLimit(options.rateLimit.limiter, clientAddress(request), options.rateLimit.periodSeconds);
    if (limited) return limited;
  }
  if (request.method !== "POST") return { parsedBody: undefined };
  const read = await readJsonBody(request, options.body ?? DEFAULT_BODY_LIMITS);
  if (!read.ok) return jsonRpcErrorResponse(read.rejection.status, read.rejection.message, { code: read.rejection.code });
  return { parsedBody: read.body };
}

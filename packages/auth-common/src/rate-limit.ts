import { jsonRpcErrorResponse } from "./json-rpc-error.ts";

/** The Workers Rate Limiting binding's surface (`ratelimits` in wrangler config). */
export interface RateLimiter {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

/**
 * The address a request came from, as rate limits and the audit log key it. On Cloudflare
 * `CF-Connecting-IP` is set by the edge and cannot be forged by the client. Under `wrangler dev`
 * nothing sets or strips it: a client-sent `CF-Connecting-IP` is taken as is, so locally any
 * client can choose its address (and escape a per-address limit).
 */
export function clientAddress(request: Request): string {
  return request.headers.get("cf-connecting-ip") ?? "unknown";
}

/**
 * Applies one rate limit to `key`; returns a 429 with `Retry-After` when it is exhausted.
 * The binding counts per period (10 or 60 s) and does not report the reset time, so the
 * period is the honest upper bound for `Retry-After`.
 */
export async function checkRateLimit(
  limiter: RateLimiter,
  key: string,
  periodSeconds: number,
  what = "requests from this address",
): Promise<Response | undefined> {
  const { success } = await limiter.limit({ key });
  if (success) return undefined;
  return jsonRpcErrorResponse(429, `Too many ${what}; retry after ${periodSeconds} seconds.`, {
    headers: { "Retry-After": String(periodSeconds) },
  });
}

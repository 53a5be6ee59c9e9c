import { jsonRpcErrorResponse } from "./json-rpc-error.ts";
import { consoleLog, refusal, type Log } from "./log.ts";
import { checkHost, checkOrigin, type OriginPolicy } from "./origin.ts";
import { checkRateLimit, clientAddress, type RateLimiter } from "./rate-limit.ts";

/** Largest single header value, and all headers together (Cloudflare's own edge cap is 32 KiB). */
export const HEADER_LIMITS = { maxValueBytes: 8 * 1024 + 256, maxTotalBytes: 32 * 1024 } as const;

/**
 * Rejects oversized headers with 431 before anything parses them (attack-cases: "oversized
 * header"). `wrangler dev` accepts far larger headers than Cloudflare's edge does.
 */
export function checkHeaderSize(request: Request): Response | undefined {
  let total = 0;
  for (const [name, value] of request.headers) {
    if (value.length > HEADER_LIMITS.maxValueBytes) {
      return jsonRpcErrorResponse(431, `Request header ${name} is larger than ${HEADER_LIMITS.maxValueBytes} bytes`);
    }
    total += name.length + value.length;
  }
  if (total > HEADER_LIMITS.maxTotalBytes) {
    return jsonRpcErrorResponse(431, `Request headers are larger than ${HEADER_LIMITS.maxTotalBytes} bytes in total`);
  }
  return undefined;
}

/** Which transport checks a route gets. Host and header sizes are always checked. */
export interface TransportGuardOptions {
  origins: OriginPolicy;
  /**
   * Refuse a browser `Origin` outside the policy (DNS rebinding, T2). On for the MCP endpoint;
   * off for OAuth endpoints (`/token`, `/register`, metadata) that browser-based clients call
   * cross-origin. Default `true`.
   */
  checkOrigin?: boolean;
  /** Per-address limit; omit only where the platform limits requests some other way. */
  rateLimit?: { limiter: RateLimiter; periodSeconds: number } | undefined;
  /** Where each refusal is logged (default: one JSON line on the console). */
  log?: Log;
}

/**
 * The transport gate every route runs first, cheapest check first: header size (431), Host
 * and, where asked, Origin (403), then the per-address rate limit (429 + Retry-After).
 *
 * Never reads the body: an endpoint reads its own body after authentication, so the body of
 * an unauthenticated request is never read, and a wrapper such as `OAuthProvider` receives the
 * request untouched. Returns a ready `Response`, or `undefined` when the request may proceed.
 */
export async function guardTransport(request: Request, options: TransportGuardOptions): Promise<Response | undefined> {
  const refuse = (response: Response, reason: string) => {
    (options.log ?? consoleLog)("warn", refusal(request, response.status, reason));
    return response;
  };
  const oversized = checkHeaderSize(request);
  if (oversized) return refuse(oversized, "header_too_large");
  const foreignHost = checkHost(request, options.origins);
  if (foreignHost) return refuse(foreignHost, "host_not_allowed");
  const foreignOrigin = options.checkOrigin === false ? undefined : checkOrigin(request, options.origins);
  if (foreignOrigin) return refuse(foreignOrigin, "origin_not_allowed");
  if (options.rateLimit === undefined) return undefined;
  const limited = await checkRateLimit(
    options.rateLimit.limiter,
    clientAddress(request),
    options.rateLimit.periodSeconds,
  );
  return limited && refuse(limited, "rate_limited");
}

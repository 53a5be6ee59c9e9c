import { DEFAULT_BODY_LIMITS, readJsonBody, type BodyLimits } from "./body.ts";
import { jsonRpcErrorResponse } from "./json-rpc-error.ts";
import { checkOrigin, type OriginPolicy } from "./origin.ts";
import { checkRateLimit, clientAddress, type RateLimiter } from "./rate-limit.ts";

/** Largest single header value, and all headers together (Cloudflare's own edge cap is 32 KiB). */
export const HEADER_LIMITS = { maxValueBytes: 8 * 1024 + 256, maxTotalBytes: 32 * 1024 } as const;

/** Protocol revisions whose POST body may be a JSON-RPC batch (2025-06-18 removed batching). */
const BATCH_REVISIONS = new Set(["2024-11-05", "2025-03-26"]);

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

/**
 * MCP 2025-06-18 transports §2.1: the POST body is one JSON-RPC message. Batches stay allowed
 * for clients that declare (or, by omitting the header, imply) 2025-03-26 or earlier (T5).
 */
export function checkBatch(request: Request, parsedBody: unknown): Response | undefined {
  if (!Array.isArray(parsedBody)) return undefined;
  const revision = request.headers.get("mcp-protocol-version") ?? "2025-03-26";
  if (BATCH_REVISIONS.has(revision)) return undefined;
  return jsonRpcErrorResponse(
    400,
    `Invalid Request: JSON-RPC batches are not allowed in protocol revision ${revision}`,
    {
      code: -32600,
    },
  );
}

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
 * The transport-level gate every app runs first, cheapest check first: header size (431),
 * Host/Origin (403), the per-address rate limit (429 + Retry-After), then for POST the body
 * limits (415/413/400) and the batch rule (400).
 * Returns a ready `Response` or the parsed body, so the body is read exactly once.
 */
export async function guardRequest(request: Request, options: GuardOptions): Promise<Response | GuardedRequest> {
  const oversized = checkHeaderSize(request);
  if (oversized) return oversized;
  const forbidden = checkOrigin(request, options.origins);
  if (forbidden) return forbidden;
  if (options.rateLimit) {
    const limited = await checkRateLimit(
      options.rateLimit.limiter,
      clientAddress(request),
      options.rateLimit.periodSeconds,
    );
    if (limited) return limited;
  }
  if (request.method !== "POST") return { parsedBody: undefined };
  const read = await readJsonBody(request, options.body ?? DEFAULT_BODY_LIMITS);
  if (!read.ok)
    return jsonRpcErrorResponse(read.rejection.status, read.rejection.message, { code: read.rejection.code });
  return checkBatch(request, read.body) ?? { parsedBody: read.body };
}

import { BodyTooLargeError, readBoundedText } from "../bounded-body.ts";
import { UpstreamError } from "./errors.ts";

/** Largest upstream answer read (discovery, JWKS, token, user), in bytes; reading stops there. */
export const MAX_UPSTREAM_RESPONSE_BYTES = 128 * 1024;

/** Statuses whose `Response` may not carry a body. */
const NULL_BODY_STATUSES = new Set([204, 205, 304]);

/** The request shape both oauth4webapi (`customFetch`) and our own calls use. */
export interface UpstreamRequest {
  method: string;
  headers: Record<string, string> | Headers;
  /** oauth4webapi passes `null` for a GET without a body (UserInfo). */
  body?: URLSearchParams | string | null | undefined;
}

/** A fetch that always times out, never follows redirects and hands back a fully read, bounded body. */
export type UpstreamFetch = (url: string, request: UpstreamRequest) => Promise<Response>;

/**
 * Wraps `fetchImpl` so every upstream call has the same guarantees, whoever makes it.
 *
 * Validates: the call completes (headers and body) within `timeoutMs`; the body is at most
 * {@link MAX_UPSTREAM_RESPONSE_BYTES} bytes of UTF-8; the status is 200–599 (a redirect is
 * returned as is, never followed). A network failure or timeout is `temporarily_unavailable`;
 * an oversized or undecodable body is `invalid_response`.
 * Does not validate: the status or content (callers and oauth4webapi do). A `User-Agent` is added
 * when the caller set none (GitHub's API refuses requests without one).
 */
export function upstreamFetch(fetchImpl: typeof fetch, timeoutMs: number, userAgent: string): UpstreamFetch {
  return async (url, request) => {
    const headers = new Headers(request.headers);
    if (!headers.has("user-agent")) headers.set("user-agent", userAgent);
    // One signal for the whole exchange: it aborts the body stream as well as the connection.
    const signal = AbortSignal.timeout(timeoutMs);
    let response: Response;
    try {
      response = await fetchImpl(url, {
        method: request.method,
        headers,
        // A form is sent as its string: the content type is already set, and a string body is
        // what every fetch (and every test double) reads the same way.
        ...(request.body === undefined || request.body === null ? {} : { body: request.body.toString() }),
        redirect: "manual",
        signal,
      });
    } catch (error) {
      throw unreachable(error, timeoutMs);
    }
    if (response.status < 200 || response.status > 599) {
      await response.body?.cancel().catch(() => undefined);
      throw new UpstreamError("invalid_response", `The identity provider answered HTTP ${response.status}.`, {
        status: response.status,
      });
    }
    let text: string;
    try {
      text = await readBoundedText(response, MAX_UPSTREAM_RESPONSE_BYTES);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        throw new UpstreamError("invalid_response", "The identity provider's answer is too large.", {
          status: response.status,
        });
      }
      if (error instanceof TypeError && !signal.aborted) {
        throw new UpstreamError("invalid_response", "The identity provider's answer is not UTF-8 text.", {
          status: response.status,
        });
      }
      throw unreachable(error, timeoutMs);
    }
    // A fresh Response over the text already read: oauth4webapi parses it without touching the
    // network again, and a peek (`clone()`) costs no second read.
    const copied = new Headers(response.headers);
    copied.delete("content-length");
    copied.delete("content-encoding");
    return new Response(NULL_BODY_STATUSES.has(response.status) ? null : text, {
      status: response.status,
      statusText: response.statusText,
      headers: copied,
    });
  };
}

function unreachable(error: unknown, timeoutMs: number): UpstreamError {
  const name = error instanceof Error ? error.name : "unknown";
  const timedOut = name === "TimeoutError" || name === "AbortError";
  return new UpstreamError(
    "temporarily_unavailable",
    timedOut
      ? `The identity provider did not answer within ${Math.round(timeoutMs / 100) / 10} s.`
      : "The identity provider could not be reached.",
    { network: name },
  );
}

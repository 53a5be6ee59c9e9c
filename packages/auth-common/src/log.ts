import { clientAddress } from "./rate-limit.ts";

/**
 * What an operator needs to see a brute force, a flood of bad tokens, an outage or a broken
 * deployment: one JSON line per event, with a stable `event` and `reason` to filter on.
 * Never a credential, a hash, a secret or an upstream body — only codes, names and ids.
 */
export type LogEntry =
  | {
      event: "request_refused";
      /** A stable code: `invalid_token`, `rate_limited`, `origin_not_allowed`, `body_too_large`… */
      reason: string;
      status: number;
      method: string;
      path: string;
      /** The client address (`CF-Connecting-IP`). */
      address: string;
      /** Who, when known: the API key id or OAuth client, and the subject. Never the credential. */
      clientId?: string;
      subject?: string;
    }
  | {
      event: "dependency_failed";
      /** What could not be reached: `jwks`, `introspection`, `access_certs`, `api_key_store`… */
      dependency: string;
      reason: string;
    }
  | { event: "misconfigured"; reason: string };

/** Where log lines go; tests pass their own, Workers use {@link consoleLog}. */
export type Log = (level: "warn" | "error", entry: LogEntry) => void;

/**
 * One JSON object per line on the console: Workers Logs (`observability` in wrangler.jsonc)
 * indexes its fields, and `wrangler tail` / `wrangler dev` print it as is.
 */
export const consoleLog: Log = (level, entry) => {
  const line = JSON.stringify({ level, ...entry });
  if (level === "error") console.error(line);
  else console.warn(line);
};

/** The `request_refused` entry for `request`, answered `status` for `reason`. */
export function refusal(
  request: Request,
  status: number,
  reason: string,
  who: { clientId?: string | undefined; subject?: string | undefined } = {},
): LogEntry {
  return {
    event: "request_refused",
    reason,
    status,
    method: request.method,
    path: new URL(request.url).pathname.slice(0, 256),
    address: clientAddress(request),
    ...(who.clientId === undefined ? {} : { clientId: who.clientId }),
    ...(who.subject === undefined ? {} : { subject: who.subject }),
  };
}

/** Why the MCP endpoint refused a request that passed authentication, by the status it chose. */
const ENDPOINT_REASONS: Readonly<Record<number, string>> = {
  400: "malformed_request",
  403: "insufficient_scope",
  404: "not_found",
  405: "method_not_allowed",
  406: "not_acceptable",
  413: "body_too_large",
  415: "unsupported_media_type",
};

/**
 * Logs the MCP endpoint's answer to an authenticated caller when it is a refusal (4xx/5xx),
 * naming the caller, and returns the answer unchanged.
 */
export function logEndpointAnswer(
  request: Request,
  response: Response,
  who: { clientId: string; subject: string },
  log: Log = consoleLog,
): Response {
  if (response.status >= 400) {
    log(
      response.status >= 500 ? "error" : "warn",
      refusal(request, response.status, ENDPOINT_REASONS[response.status] ?? `http_${response.status}`, who),
    );
  }
  return response;
}

import * as oauth from "oauth4webapi";

/** The closed set of ways an upstream sign-in or refresh can fail; the app maps each to one answer. */
export type UpstreamErrorCode =
  /** The user declined upstream, or a policy (Google `hd`, Entra tenant) refused them. */
  | "access_denied"
  /** The upstream grant is gone for good (refresh answered `invalid_grant`, or 400/401). */
  | "invalid_grant"
  /** Upstream is down, slow, rate limiting, or unreachable: retrying later may work. */
  | "temporarily_unavailable"
  /** Something upstream sent failed validation (issuer, state, ID token, shape, size). */
  | "invalid_response";

/** What an {@link UpstreamError} keeps for logs: never a token, code, secret or response body. */
export interface UpstreamErrorDetail {
  /** oauth4webapi's error code, e.g. `OAUTH_JWT_CLAIM_COMPARISON_FAILED`. */
  library?: string;
  /** The HTTP status upstream answered with. */
  status?: number;
  /** The name of a network-level error (`TimeoutError`, `TypeError`). */
  network?: string;
}

/**
 * An upstream identity provider failure with a stable code and a short reason that is safe to
 * show and log. The reason and `detail` never contain a token, an authorization code, a client
 * secret, a query string or a response body; the upstream's own error code appears only after
 * {@link safeUpstreamCode} has vetted it.
 */
export class UpstreamError extends Error {
  override readonly name = "UpstreamError";
  readonly code: UpstreamErrorCode;
  /** The same text as `message`. */
  readonly reason: string;
  readonly detail: UpstreamErrorDetail;

  constructor(code: UpstreamErrorCode, reason: string, detail: UpstreamErrorDetail = {}) {
    super(reason);
    this.code = code;
    this.reason = reason;
    this.detail = detail;
  }
}

/**
 * An upstream `error` value fit to appear in a reason: an RFC 6749 §5.2-shaped code of at most
 * 64 characters, else `"unrecognized"` (so a hostile IdP cannot inject text, markup or a token).
 */
export function safeUpstreamCode(value: unknown): string {
  return typeof value === "string" && /^[A-Za-z0-9_.-]{1,64}$/.test(value) ? value : "unrecognized";
}

/** Whether an HTTP status says "try again later" rather than "this will never work". */
export function isTransientStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/** RFC 6749 §4.1.2.1 / §5.2 error codes that describe an upstream outage, not a refusal. */
const TRANSIENT_OAUTH_ERRORS = new Set(["temporarily_unavailable", "server_error"]);

/** Which step failed; the same upstream answer means different things in each. */
export type UpstreamStep = "discovery" | "callback" | "exchange" | "refresh" | "user" | "userinfo";

function statusOf(error: oauth.OperationProcessingError): number | undefined {
  return error.cause instanceof Response ? error.cause.status : undefined;
}

/** The claim an oauth4webapi claim/timestamp error names, when it names one we know. */
function claimOf(error: oauth.OperationProcessingError): string | undefined {
  const cause: unknown = error.cause;
  if (typeof cause !== "object" || cause === null || !("claim" in cause)) return undefined;
  const claim = cause.claim;
  return typeof claim === "string" && /^[a-z_]{1,20}$/.test(claim) ? claim : undefined;
}

/** oauth4webapi messages are fixed strings (property and claim names only); capped all the same. */
function libraryMessage(error: Error): string {
  const text = error.message.replace(/[^\x20-\x7E]/g, "");
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

/** The reason for an oauth4webapi validation failure: which check failed, never which value. */
function validationReason(error: oauth.OperationProcessingError): string {
  const claim = claimOf(error);
  switch (error.code) {
    case oauth.JWT_TIMESTAMP_CHECK:
      return claim === "exp"
        ? "The identity provider's ID token has expired."
        : `The identity provider's ID token has an unacceptable "${claim ?? "time"}" claim.`;
    case oauth.JWT_CLAIM_COMPARISON:
      return `The identity provider's ID token has the wrong "${claim ?? "unknown"}" claim.`;
    case oauth.JSON_ATTRIBUTE_COMPARISON:
      return "The identity provider's metadata names a different issuer than configured.";
    case oauth.KEY_SELECTION:
      return "The identity provider's ID token is signed with a key it does not publish.";
    default:
      return `The identity provider's answer failed validation: ${libraryMessage(error)}`;
  }
}

/**
 * Turns whatever a step threw into an {@link UpstreamError}.
 *
 * - Authorization error responses (RFC 6749 §4.1.2.1): `access_denied`, except the two outage
 *   codes (`temporarily_unavailable`, `server_error`), which are `temporarily_unavailable`.
 * - Token endpoint error bodies and challenges: 429/5xx and the outage codes are
 *   `temporarily_unavailable`; on refresh `invalid_grant` and any other 400/401 is `invalid_grant`
 *   (retrying cannot help); on code exchange everything else is `invalid_response` (a spent or
 *   forged code is the callback's fault, not a lost grant).
 * - UserInfo (revalidating a sign-in without a refresh token): 400/401 or another subject is
 *   `invalid_grant` (the access token no longer stands for this user); 429/5xx as above.
 * - Discovery: a non-200 status is `temporarily_unavailable`; a document that fails validation
 *   (wrong issuer, not JSON) is `invalid_response` (retrying cannot fix a misconfiguration).
 * - Anything else oauth4webapi rejects is `invalid_response`.
 */
export function toUpstreamError(error: unknown, step: UpstreamStep): UpstreamError {
  if (error instanceof UpstreamError) return error;
  if (error instanceof oauth.AuthorizationResponseError) {
    const code = safeUpstreamCode(error.error);
    if (TRANSIENT_OAUTH_ERRORS.has(code)) {
      return new UpstreamError(
        "temporarily_unavailable",
        `The identity provider could not sign the user in right now (error=${code}).`,
        { library: error.code },
      );
    }
    return new UpstreamError("access_denied", `The identity provider did not sign the user in (error=${code}).`, {
      library: error.code,
    });
  }
  if (error instanceof oauth.ResponseBodyError || error instanceof oauth.WWWAuthenticateChallengeError) {
    const upstreamCode = error instanceof oauth.ResponseBodyError ? safeUpstreamCode(error.error) : "challenge";
    const detail = { library: error.code, status: error.status };
    if (isTransientStatus(error.status) || TRANSIENT_OAUTH_ERRORS.has(upstreamCode)) {
      return new UpstreamError(
        "temporarily_unavailable",
        `The identity provider's token endpoint is unavailable (HTTP ${error.status}, error=${upstreamCode}).`,
        detail,
      );
    }
    if (step === "refresh" && (upstreamCode === "invalid_grant" || error.status === 400 || error.status === 401)) {
      return new UpstreamError(
        "invalid_grant",
        `The identity provider no longer honours the refresh token (HTTP ${error.status}, error=${upstreamCode}).`,
        detail,
      );
    }
    if (step === "userinfo" && (error.status === 400 || error.status === 401)) {
      return new UpstreamError(
        "invalid_grant",
        `The identity provider no longer honours the access token (HTTP ${error.status}, error=${upstreamCode}).`,
        detail,
      );
    }
    const what = step === "refresh" ? "the refresh" : "the authorization code";
    return new UpstreamError(
      "invalid_response",
      `The identity provider refused ${what} (HTTP ${error.status}, error=${upstreamCode}).`,
      detail,
    );
  }
  if (error instanceof oauth.OperationProcessingError) {
    const status = statusOf(error);
    const detail: UpstreamErrorDetail = { ...(error.code === undefined ? {} : { library: error.code }) };
    if (status !== undefined) detail.status = status;
    // RFC 6750 §3.1: UserInfo answers a revoked or expired access token 401 (a challenge without
    // `error` is not a WWWAuthenticateChallengeError's body, but still this).
    if (step === "userinfo" && status === 401) {
      return new UpstreamError(
        "invalid_grant",
        "The identity provider no longer honours the access token (HTTP 401).",
        detail,
      );
    }
    if (step === "userinfo" && error.code === oauth.JSON_ATTRIBUTE_COMPARISON) {
      return new UpstreamError("invalid_grant", "The identity provider's UserInfo names another subject.", detail);
    }
    if (status !== undefined) {
      // A discovery document that does not arrive is an outage; any other endpoint answering an
      // unexpected non-error status is only an outage when the status says so.
      const transient = step === "discovery" || isTransientStatus(status);
      const where = step === "discovery" ? "metadata endpoint" : "endpoint";
      return new UpstreamError(
        transient ? "temporarily_unavailable" : "invalid_response",
        `The identity provider's ${where} answered HTTP ${status}.`,
        detail,
      );
    }
    return new UpstreamError("invalid_response", validationReason(error), detail);
  }
  if (error instanceof oauth.UnsupportedOperationError) {
    return new UpstreamError(
      "invalid_response",
      `The identity provider's answer uses something unsupported: ${libraryMessage(error)}`,
      { library: error.code },
    );
  }
  // oauth4webapi's argument checks (e.g. an http endpoint in https metadata) throw TypeErrors;
  // they are the upstream's doing here, because our own inputs are checked before any call.
  const name = error instanceof Error ? error.name : "unknown";
  return new UpstreamError(
    "invalid_response",
    `The identity provider's answer could not be processed${error instanceof TypeError ? `: ${libraryMessage(error)}` : "."}`,
    { library: name },
  );
}

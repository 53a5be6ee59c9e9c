import { readBearerToken } from "./bearer.ts";
import { challengeResponse, type ChallengeOptions } from "./challenge.ts";
import { AuthError } from "./errors.ts";
import { consoleLog, refusal, type Log } from "./log.ts";
import { anonymousIdentity, type Identity, type Pattern, type VerifiedCredential } from "@mcp-auth/identity";
import type { CredentialVerifier } from "./verifier.ts";

/** How a server authenticates callers. */
export interface AuthenticatorOptions {
  pattern: Pattern;
  /**
   * Every credential present is examined; the first method in this order that proves an identity
   * names the caller.
   */
  verifiers: readonly CredentialVerifier[];
  /**
   * `required`: no credential → 401. `optional` (migration mode): no credential → the anonymous
   * identity with `anonymousScopes`; a credential that is present but bad is still rejected.
   */
  mode: "required" | "optional";
  anonymousScopes?: readonly string[];
  /** Parameters every challenge carries (resource metadata URL, scopes to request). */
  challenge?: ChallengeOptions;
  /** Where refusals and dependency failures are logged (default: one JSON line on the console). */
  log?: Log;
}

/**
 * The gate: the caller's identity, or the ready 400/401/403/503 `Response`. `challenge` adds
 * per-request parameters (the metadata URL derived from the request's own origin).
 */
export type Authenticator = (request: Request, challenge?: ChallengeOptions) => Promise<Identity | Response>;

function missingMessage(request: Request): string {
  // RFC 6750 §2.3 query tokens are not offered (MCP: header only). Say so instead of ignoring silently.
  return new URL(request.url).searchParams.has("access_token")
    ? "Tokens in the query string are ignored: send the credential in the Authorization header."
    : "This MCP server needs a credential in the Authorization header.";
}

/**
 * Builds the gate every authenticated app runs: verify with each configured method in order,
 * answer through the one challenge builder. Apps write `if (result instanceof Response) return result`.
 *
 * Validates: one well-formed `Authorization` header; every credential the request presents —
 * a bearer token (by the first bearer method that claims it; one no method claims is refused)
 * and each other credential a method reads (Access assertion, client certificate). A credential
 * that is present but bad refuses the request whatever else is present: a valid client
 * certificate does not carry a forged bearer token through, nor a valid API key a forged Access
 * assertion. Of several valid ones, the first method in `verifiers` order names the caller.
 * Does not validate: scopes per operation (mcp-core's scope gate does).
 */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  return async (request, perRequest) => {
    const challenge = { ...options.challenge, ...perRequest };
    let verifying: string | undefined; // the method whose dependency failed, for the log
    try {
      let bearer: string | undefined;
      try {
        bearer = readBearerToken(request);
      } catch (error) {
        if (!(error instanceof AuthError) || error.code !== "missing_credentials") throw error;
      }
      let identity: VerifiedCredential | undefined;
      let bearerClaimed = false;
      for (const verifier of options.verifiers) {
        if (verifier.reads === "bearer" && bearerClaimed) continue;
        verifying = verifier.method;
        // Throws when a credential of its kind is present but bad: the request is refused.
        const credential = await verifier.verify({ request, bearer });
        if (credential === undefined) continue;
        if (verifier.reads === "bearer") bearerClaimed = true;
        identity ??= credential;
      }
      if (bearer !== undefined && !bearerClaimed) {
        throw new AuthError("invalid_token", "The bearer credential is not one this server accepts.");
      }
      // The pattern is the app's, never the verifier's: one verifier serves every app.
      if (identity !== undefined) return { ...identity, pattern: options.pattern };
      if (options.mode === "optional") return anonymousIdentity(options.pattern, options.anonymousScopes ?? []);
      throw new AuthError("missing_credentials", missingMessage(request));
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      const response = challengeResponse(error, challenge);
      const log = options.log ?? consoleLog;
      log("warn", refusal(request, response.status, error.code));
      if (error.code === "temporarily_unavailable") {
        // The message is our own (it names the service, never its answer or the token).
        log("error", { event: "dependency_failed", dependency: verifying ?? "unknown", reason: error.message });
      }
      return response;
    }
  };
}

import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";
import { BodyTooLargeError, readBoundedText } from "./bounded-body.ts";
import { AuthError } from "./errors.ts";

/** Largest JWKS answer read, in bytes (a real key set is a few KiB). */
export const MAX_JWKS_BYTES = 256 * 1024;
/** How often a caller waiting for another caller's fetch looks whether it has finished, ms. */
const POLL_MS = 10;
/** How long past the fetch timeout a waiter keeps waiting before it gives the fetch up, ms. */
const ABANDON_GRACE_MS = 1000;

/** Where a key set comes from and how often it may be fetched. */
export interface JwksCacheOptions {
  url: URL;
  /** Fetch for the key set (default: the global `fetch`). */
  fetch?: typeof fetch;
  /** Clock in milliseconds (default `Date.now`); cooldown and freshness are measured with it. */
  now?: () => number;
  /**
   * Least time between a successful fetch and the next one, seconds (default 30): an unknown
   * `kid` refetches at most once per cooldown, so tokens with made-up kids cannot drive fetches.
   */
  cooldownSeconds?: number;
  /**
   * Least time between a failed fetch and the next one, seconds (default 5, at most the
   * cooldown): while the key server is down one probe goes through per interval (callers
   * meanwhile get 503 with the time left as `Retry-After`), so valid tokens work again within
   * this long after it recovers rather than a whole cooldown.
   */
  retryAfterFailureSeconds?: number;
  /** How long a fetched key set is used before it is fetched again, seconds (default 600). */
  maxAgeSeconds?: number;
  /** Abort a fetch after this many seconds (default 5). */
  timeoutSeconds?: number;
}

type LocalKeySet = ReturnType<typeof createLocalJWKSet>;

/** One fetch of the key set: who started it when, and how it ended. */
interface Attempt {
  startedAt: number;
  outcome: "pending" | "ok" | "failed";
  /** Why it failed, for logs: a status, a class of body, an error name. Never the body. */
  reason?: string;
}

/** Why a fetch did not produce a key set, without anything the peer sent. */
class JwksFetchFailure extends Error {
  override readonly name = "JwksFetchFailure";
}

function positive(value: number | undefined, fallback: number, name: string): number {
  const result = value ?? fallback;
  if (!Number.isFinite(result) || result <= 0) throw new Error(`JWKS ${name} must be a positive number`);
  return result * 1000;
}

/** The outer shape `createLocalJWKSet` needs; it checks the rest itself. */
function isKeySetShape(value: unknown): value is JSONWebKeySet {
  if (typeof value !== "object" || value === null || !("keys" in value)) return false;
  const keys: unknown = value.keys;
  return Array.isArray(keys) && keys.every((key) => typeof key === "object" && key !== null && !Array.isArray(key));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A key resolver for `jwtVerify` over a remote JWKS, built once per isolate and shared by every
 * request in it. Replaces jose's `createRemoteJWKSet`, which on Workers starts one fetch per
 * concurrent caller and refetches on every request while the key server fails.
 *
 * Guarantees: at most one fetch in flight (concurrent callers share it); after a success, at
 * most one fetch start per cooldown (30 s); after a failure, one probe per retry interval (5 s),
 * so a recovered key server is seen within it; a known `kid` never fetches while the set is fresh. Callers that share another caller's fetch never await a promise created in
 * another request (Workers would cancel such a request as hung): they poll shared state on
 * their own timers, and give the fetch up after its timeout.
 * Validates: status 200, a body of at most {@link MAX_JWKS_BYTES} that is UTF-8 JSON shaped like
 * a key set (RFC 7517 §5), public keys only; no redirects followed.
 * Every failure of the key server — down, slow, non-200, HTML, JSON that is not a key set, a key
 * that cannot be imported — is `temporarily_unavailable` (503 + `Retry-After`), never a verdict on
 * the token, and no message carries anything the server sent.
 * Does not validate: the token (jose does, with the key this returns).
 */
export function jwksKeyResolver(options: JwksCacheOptions): JWTVerifyGetKey {
  const url = new URL(options.url.href);
  const fetchKeys = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const cooldownMs = positive(options.cooldownSeconds, 30, "cooldownSeconds");
  const retryMs = Math.min(cooldownMs, positive(options.retryAfterFailureSeconds, 5, "retryAfterFailureSeconds"));
  const maxAgeMs = positive(options.maxAgeSeconds, 600, "maxAgeSeconds");
  const timeoutMs = positive(options.timeoutSeconds, 5, "timeoutSeconds");
  let keys: LocalKeySet | undefined;
  let fetchedAt = -Infinity;
  let last: Attempt | undefined;

  /** When the attempt after `attempt` may start: a failure is probed again sooner than a success. */
  function nextAllowed(attempt: Attempt): number {
    return attempt.startedAt + (attempt.outcome === "failed" ? retryMs : cooldownMs);
  }

  function unavailable(attempt: Attempt): AuthError {
    const left = Math.ceil((nextAllowed(attempt) - now()) / 1000);
    return new AuthError("temporarily_unavailable", "The token's signing keys cannot be fetched right now.", {
      cause: { code: "ERR_JWKS_UNAVAILABLE", reason: attempt.reason ?? "unknown" },
      retryAfterSeconds: Math.max(1, left),
    });
  }

  async function load(attempt: Attempt): Promise<void> {
    try {
      const response = await fetchKeys(url, {
        method: "GET",
        headers: { accept: "application/jwk-set+json, application/json" },
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (response.status !== 200) {
        await response.body?.cancel().catch(() => undefined);
        throw new JwksFetchFailure(`status ${response.status}`);
      }
      let json: unknown;
      try {
        json = JSON.parse(await readBoundedText(response, MAX_JWKS_BYTES));
      } catch (error) {
        throw new JwksFetchFailure(error instanceof BodyTooLargeError ? "body too large" : "body is not JSON");
      }
      if (!isKeySetShape(json)) throw new JwksFetchFailure("body is not a key set");
      try {
        keys = createLocalJWKSet(json);
      } catch {
        throw new JwksFetchFailure("body is not a key set");
      }
      fetchedAt = attempt.startedAt;
      attempt.outcome = "ok";
    } catch (error) {
      attempt.outcome = "failed";
      attempt.reason =
        error instanceof JwksFetchFailure ? error.message : error instanceof Error ? error.name : "unknown";
    }
  }

  /** Waits for another caller's fetch by polling on this caller's own timers. */
  async function waitFor(attempt: Attempt): Promise<void> {
    for (let waited = 0; attempt.outcome === "pending"; waited += POLL_MS) {
      if (waited >= timeoutMs + ABANDON_GRACE_MS) {
        // Its request went away (cancelled) without settling it: count it as failed so the
        // cooldown, not a stuck flag, decides when to ask again.
        attempt.outcome = "failed";
        attempt.reason = "abandoned";
        return;
      }
      await sleep(POLL_MS);
    }
  }

  /** Makes sure the newest allowed fetch has happened; throws 503 if that fetch failed. */
  async function refresh(): Promise<void> {
    let attempt = last;
    if (attempt?.outcome === "pending") {
      await waitFor(attempt);
    } else if (attempt === undefined || now() >= nextAllowed(attempt)) {
      attempt = { startedAt: now(), outcome: "pending" };
      last = attempt;
      await load(attempt);
    }
    // Within the cooldown after a success there is nothing new to learn: use the set we have.
    if (attempt.outcome === "failed") throw unavailable(attempt);
  }

  async function select(...args: Parameters<JWTVerifyGetKey>): ReturnType<LocalKeySet> {
    if (keys === undefined) throw unavailable(last ?? { startedAt: now(), outcome: "failed" });
    try {
      return await keys(...args);
    } catch (error) {
      // jose's own signals about the token: no key with its kid, or several to try in turn.
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
      // The matching key is the server's and cannot be used (not public, cannot be imported).
      throw new AuthError("temporarily_unavailable", "The token's signing keys cannot be fetched right now.", {
        cause: { code: "ERR_JWKS_UNAVAILABLE", reason: "unusable key" },
        retryAfterSeconds: Math.ceil(cooldownMs / 1000),
      });
    }
  }

  return async (...args) => {
    if (keys === undefined || now() - fetchedAt >= maxAgeMs) await refresh();
    try {
      return await select(...args);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      // Key rotation: an unknown kid may be in a newer set, asked for at most once per cooldown.
      await refresh();
      return await select(...args);
    }
  };
}

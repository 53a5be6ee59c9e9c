import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import { AuthError } from "./errors.ts";
import { jwksKeyResolver } from "./jwks-cache.ts";
import { credentialSchema, type Method, type VerifiedCredential } from "@mcp-auth/identity";
import { parseScopeString } from "./scope-token.ts";
import type { CredentialVerifier } from "./verifier.ts";

/** Asymmetric algorithms a JWKS may be pinned to. */
export const ASYMMETRIC_ALGORITHMS = ["RS256", "PS256", "ES256", "EdDSA"] as const;
/** Shortest HS256 secret accepted (RFC 7518 §3.2: at least the hash size). */
export const MIN_HS256_SECRET_BYTES = 32;
/** Longest JWT accepted; checked before any decoding or crypto. */
export const MAX_JWT_LENGTH = 8192;
/** JWS compact serialization: three base64url segments. */
const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Default longest lifetime (`exp - iat`, or `exp - now` without `iat`) of a token, seconds: one day. */
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 86_400;

/** Where verification keys come from. */
export type JwtKeySource =
  { kind: "secret"; secret: string } | { kind: "jwks"; url: URL; fetch?: typeof fetch; cooldownSeconds?: number };

export interface JwtOptions {
  issuer: string;
  audience: string;
  algorithms: readonly string[];
  keys: JwtKeySource;
  /** Allowed clock skew for exp/nbf/iat, seconds (default 60). */
  clockToleranceSeconds?: number;
  /**
   * Require this `typ` header, e.g. `at+jwt` (RFC 9068 §4). Unset: not checked, because most
   * IdPs still issue access tokens typed `JWT` or untyped; `aud` pinned to this resource is what
   * keeps an ID token (whose `aud` is a client id) out.
   */
  typ?: string;
  /**
   * Longest lifetime accepted, seconds (default {@link DEFAULT_MAX_TOKEN_LIFETIME_SECONDS}):
   * `exp - iat`, or `exp - now` when there is no `iat`. A signed 100-year token is refused.
   */
  maxLifetimeSeconds?: number;
  /** Clock in milliseconds (default `Date.now`); `exp`, `nbf` and `iat` are checked against it. */
  now?: () => number;
}

/** True for a value shaped like a JWS in compact serialization. */
export function looksLikeJwt(token: string): boolean {
  return JWS_COMPACT.test(token);
}

/**
 * A key resolver for `jwtVerify`. For a JWKS it is created once and reused: the set is cached,
 * one fetch at a time, at most one per cooldown after an unknown `kid` or a failure, never per
 * request (see `jwks-cache.ts`). `now` times the cooldown and the cache.
 */
export function jwtKeyResolver(keys: JwtKeySource, now?: () => number): Uint8Array | JWTVerifyGetKey {
  if (keys.kind === "secret") {
    const secret = new TextEncoder().encode(keys.secret);
    if (secret.byteLength < MIN_HS256_SECRET_BYTES) {
      throw new Error(`HS256 secret must be at least ${MIN_HS256_SECRET_BYTES} bytes`);
    }
    return secret;
  }
  return jwksKeyResolver({
    url: keys.url,
    ...(keys.fetch === undefined ? {} : { fetch: keys.fetch }),
    ...(keys.cooldownSeconds === undefined ? {} : { cooldownSeconds: keys.cooldownSeconds }),
    ...(now === undefined ? {} : { now }),
  });
}

/** Maps jose's coded errors to ours; messages name the failed check, never the token. */
function toAuthError(error: unknown): AuthError {
  if (error instanceof AuthError) return error;
  if (error instanceof errors.JWTExpired)
    return new AuthError("invalid_token", "The token has expired.", { cause: error.code });
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new AuthError("invalid_token", `The token's "${error.claim}" claim is not valid here (${error.reason}).`, {
      cause: error.code,
    });
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new AuthError("invalid_token", "The token is signed with an algorithm this server does not allow.", {
      cause: error.code,
    });
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return new AuthError("invalid_token", "The token is signed with a key this server does not know.", {
      cause: error.code,
    });
  }
  if (error instanceof errors.JOSEError) {
    return new AuthError("invalid_token", "The token is not valid.", { cause: error.code });
  }
  // Not jose's verdict on the token (e.g. WebCrypto refusing a key): fail closed, never accept.
  return new AuthError("temporarily_unavailable", "The token's signing keys cannot be fetched right now.", {
    cause: error instanceof Error ? error.name : "unknown",
    retryAfterSeconds: 30,
  });
}

/**
 * Verifies a JWT access token.
 *
 * Validates: length ≤ {@link MAX_JWT_LENGTH} and JWS shape before any crypto; signature with a
 * pinned algorithm list (no `none`, no HS/RS confusion: a secret only verifies HS256, a JWKS only
 * the asymmetric list); `iss` and `aud` exactly; `exp` and `sub` required, `exp` in the future,
 * `nbf` and `iat` not later than now plus the clock tolerance; a lifetime (`exp - iat`, or
 * `exp - now` without `iat`) of at most `maxLifetimeSeconds`, which also bounds `exp` and `iat`
 * to sane instants; `typ` when configured.
 * Does not validate: scopes against an operation (the scope gate does), revocation (JWTs are
 * valid until `exp`).
 */
export async function verifyJwt(
  token: string,
  options: JwtOptions,
  key: Uint8Array | JWTVerifyGetKey,
): Promise<JWTPayload> {
  if (token.length > MAX_JWT_LENGTH) throw new AuthError("invalid_token", "The token is too long.");
  if (!looksLikeJwt(token)) throw new AuthError("invalid_token", "The token is not a JWT.");
  const now = (options.now ?? Date.now)();
  try {
    const verifyOptions = {
      currentDate: new Date(now),
      issuer: options.issuer,
      audience: options.audience,
      algorithms: [...options.algorithms],
      requiredClaims: ["exp", "sub"],
      clockTolerance: options.clockToleranceSeconds ?? 60,
      ...(options.typ === undefined ? {} : { typ: options.typ }),
    };
    const { payload } =
      key instanceof Uint8Array
        ? await jwtVerify(token, key, verifyOptions)
        : await jwtVerify(token, key, verifyOptions);
    // jose checks `iat` only with maxTokenAge; a token "issued" in the future is refused here.
    if (typeof payload.iat === "number" && payload.iat > now / 1000 + verifyOptions.clockTolerance) {
      throw new AuthError("invalid_token", 'The token\'s "iat" claim is not valid here (issued in the future).');
    }
    checkLifetime(payload, now / 1000, options.maxLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS);
    return payload;
  } catch (error) {
    throw toAuthError(error);
  }
}

/**
 * Refuses a lifetime over `maxSeconds`. jose has already checked that `exp` (required) and `iat`
 * are numbers and that `exp` is not past; `iat` is not in the future (checked above), so a
 * passing token's `exp` lies within `maxSeconds` (plus skew) of now: no year-9999 instants.
 */
function checkLifetime(payload: JWTPayload, nowSeconds: number, maxSeconds: number): void {
  const exp = payload.exp ?? Infinity;
  const lifetime = typeof payload.iat === "number" ? exp - payload.iat : exp - nowSeconds;
  if (!(lifetime <= maxSeconds)) {
    throw new AuthError("invalid_token", `The token's "exp" claim is not valid here (lifetime over ${maxSeconds} s).`);
  }
}

/** Scopes from `scope` (RFC 9068/8693, space-delimited) or `scp` (array or string). */
export function scopesFromClaims(claims: JWTPayload): string[] {
  const scope = claims["scope"] ?? claims["scp"];
  if (typeof scope === "string") return parseScopeString(scope);
  if (Array.isArray(scope) && scope.every((item): item is string => typeof item === "string")) {
    return parseScopeString(scope.join(" "));
  }
  return [];
}

/**
 * The identity a verified JWT proves. A signed token whose claims do not describe a caller
 * (empty `sub`, malformed `scope`, oversized `name`) is an invalid token (401), never a 500.
 */
export function identityFromClaims(claims: JWTPayload, method: Method): VerifiedCredential {
  const name = claims["name"] ?? claims["email"];
  const clientId = claims["client_id"] ?? claims["azp"] ?? claims.sub;
  let scopes: string[];
  try {
    scopes = scopesFromClaims(claims);
  } catch {
    throw new AuthError("invalid_token", 'The token\'s "scope" claim is malformed.');
  }
  const identity = credentialSchema.safeParse({
    subject: claims.sub,
    ...(typeof name === "string" ? { displayName: name } : {}),
    clientId: typeof clientId === "string" ? clientId : claims.sub,
    // verifyJwt pinned `iss` to the configured issuer, so this is the issuer we trust.
    issuer: claims.iss,
    scopes,
    method,
    ...(typeof claims.exp === "number" ? { expiresAt: Math.floor(claims.exp) } : {}),
  });
  if (!identity.success) {
    const claim = String(identity.error.issues[0]?.path[0] ?? "claims");
    throw new AuthError("invalid_token", `The token's claims do not describe a caller (${claim}).`);
  }
  return identity.data;
}

/**
 * Pins each key source to its algorithm family: a shared secret verifies only HS256, a JWKS only
 * the asymmetric list. Throws on a mix (a configuration error, caught at startup).
 */
export function checkAlgorithms(keys: JwtKeySource, algorithms: readonly string[]): void {
  const allowed: readonly string[] = keys.kind === "secret" ? ["HS256"] : ASYMMETRIC_ALGORITHMS;
  const wrong = algorithms.filter((alg) => !allowed.includes(alg));
  if (algorithms.length === 0 || wrong.length > 0) {
    throw new Error(
      `JWT algorithms for a ${keys.kind === "secret" ? "shared secret" : "JWKS"} must be among ${allowed.join(", ")}`,
    );
  }
}

/** JWT access tokens as bearer credentials; claims only bearer values shaped like a JWS. */
export function jwtVerifier(options: JwtOptions): CredentialVerifier {
  checkAlgorithms(options.keys, options.algorithms);
  const maxLifetime = options.maxLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
  if (!Number.isFinite(maxLifetime) || maxLifetime <= 0) throw new Error("JWT maximum lifetime must be positive");
  const key = jwtKeyResolver(options.keys, options.now);
  return {
    method: "jwt",
    reads: "bearer",
    async verify({ bearer }) {
      if (bearer === undefined || !looksLikeJwt(bearer)) return undefined;
      const claims = await verifyJwt(bearer, options, key);
      return identityFromClaims(claims, "jwt");
    },
  };
}

import type { JWTPayload } from "jose";
import { AuthError } from "./errors.ts";
import { TRUSTED_URL_RULE, isTrustedServerUrl } from "./loopback.ts";
import { credentialSchema, type VerifiedCredential } from "@mcp-auth/identity";
import { jwtKeyResolver, verifyJwt, type JwtOptions } from "./jwt.ts";
import { isScopeToken } from "./scope-token.ts";
import type { CredentialVerifier } from "./verifier.ts";

/** The header Cloudflare Access adds to every request it lets through to the origin. */
export const ACCESS_JWT_HEADER = "Cf-Access-Jwt-Assertion";

/** A team domain: one or more DNS labels under `cloudflareaccess.com`. */
const TEAM_HOST = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+cloudflareaccess\.com$/;
/** Clock skew allowed on `exp` (matches `verifyJwt`'s default). */
const CLOCK_TOLERANCE_SECONDS = 60;
/**
 * Longest Access token lifetime accepted: an Access application's session duration goes up to
 * one month, and the token's `exp` is the session's end. Anything longer is not from Access.
 */
export const ACCESS_MAX_LIFETIME_SECONDS = 31 * 86_400;

/** How a server trusts Cloudflare Access in front of it. */
export interface AccessOptions {
  /** The Zero Trust team domain, e.g. `myteam.cloudflareaccess.com` (an `https://` prefix is accepted). */
  teamDomain: string;
  /** The Access application's Audience (AUD) tag. */
  audience: string;
  /** Scopes granted to every caller Access lets through (Access tokens carry none). */
  scopes: readonly string[];
  /** Fetch for the certs endpoint (default: the global `fetch`). */
  fetch?: typeof fetch;
  /** Clock in milliseconds (default `Date.now`); `exp` is checked against it as well as by jose. */
  now?: () => number;
  /** Local development only: accept a plain-http loopback team origin (default false). */
  allowInsecureLoopback?: boolean;
}

/**
 * The issuer origin for a team domain: `https://<team>.cloudflareaccess.com`, lower-cased.
 *
 * Validates: a bare hostname or `https://` + hostname (one optional trailing `/`) ending in
 * `.cloudflareaccess.com`; nothing else (no path, port, query or credentials).
 * Exception, for local development and tests only (`allowInsecureLoopback`): a plain-http
 * loopback origin with an explicit port, e.g. `http://127.0.0.1:9000`, so a local fake can
 * serve the certs.
 * Does not validate: that the team exists. Throws an `Error` on anything else.
 */
export function accessTeamOrigin(teamDomain: string, options: { allowInsecureLoopback?: boolean } = {}): string {
  const value = teamDomain.trim().toLowerCase();
  if (value.startsWith("http://")) {
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
    // An origin with an explicit port and nothing else, on a loopback host, when opted in.
    const bareOrigin =
      url !== undefined && !["", "0"].includes(url.port) && [url.origin, `${url.origin}/`].includes(value);
    if (url === undefined || !bareOrigin || !isTrustedServerUrl(url, options.allowInsecureLoopback ?? false)) {
      throw new Error(`Access team domain over http ${TRUSTED_URL_RULE}, as an origin with a port`);
    }
    return url.origin;
  }
  const host = value.replace(/^https:\/\//, "").replace(/\/$/, "");
  if (!TEAM_HOST.test(host)) {
    throw new Error("Access team domain must be a hostname ending in .cloudflareaccess.com");
  }
  return `https://${host}`;
}

/** The identity an Access token proves; service tokens have an empty `sub` and a `common_name`. */
function identityFromAccessClaims(claims: JWTPayload, issuer: string, scopes: readonly string[]): VerifiedCredential {
  const sub = claims.sub;
  const commonName = claims["common_name"];
  const subject =
    typeof sub === "string" && sub !== ""
      ? sub
      : typeof commonName === "string" && commonName !== ""
        ? commonName
        : undefined;
  if (subject === undefined) throw new AuthError("invalid_token", "The Access token has no subject.");
  const email = claims["email"];
  const parsed = credentialSchema.safeParse({
    subject,
    ...(typeof email === "string" && email !== "" ? { displayName: email } : {}),
    clientId: "cloudflare-access",
    issuer,
    scopes: [...scopes],
    method: "access",
    expiresAt: claims.exp,
  });
  if (!parsed.success) {
    throw new AuthError("invalid_token", "The Access token's claims do not form a usable identity.");
  }
  return parsed.data;
}

/**
 * Cloudflare Access as a credential: the signed JWT Access puts in the `Cf-Access-Jwt-Assertion`
 * header (never the bearer). Anyone who can reach the Worker without passing Access can set that
 * header, so it is verified like any other JWT.
 *
 * Validates: RS256 only, against the team's keys from `<team>/cdn-cgi/access/certs` (fetched once
 * per verifier and cached by jose); `iss` equals the team origin; `aud` includes the application
 * AUD tag; `exp` required and in the future (system clock and `now`), `nbf` within tolerance;
 * a lifetime of at most {@link ACCESS_MAX_LIFETIME_SECONDS};
 * a subject (`sub`, or `common_name` for service tokens).
 * Does not validate: the `CF_Authorization` cookie (not read); Access policies (Access enforced
 * them before issuing the token); scopes per operation (every caller gets `scopes`).
 * No header → `undefined`, so other methods may look.
 */
export function accessVerifier(options: AccessOptions): CredentialVerifier {
  const origin = accessTeamOrigin(options.teamDomain, {
    allowInsecureLoopback: options.allowInsecureLoopback ?? false,
  });
  if (options.audience.trim() === "") throw new Error("Access audience (AUD tag) must not be empty");
  if (!options.scopes.every(isScopeToken)) throw new Error("Access scopes must be RFC 6749 scope tokens");
  const scopes = [...options.scopes];
  const now = options.now ?? Date.now;
  const jwtOptions: JwtOptions = {
    issuer: origin,
    audience: options.audience,
    algorithms: ["RS256"],
    keys: {
      kind: "jwks",
      url: new URL("/cdn-cgi/access/certs", origin),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    },
    clockToleranceSeconds: CLOCK_TOLERANCE_SECONDS,
    maxLifetimeSeconds: ACCESS_MAX_LIFETIME_SECONDS,
  };
  const key = jwtKeyResolver(jwtOptions.keys, now);
  return {
    method: "access",
    reads: "request",
    async verify({ request }) {
      const token = request.headers.get(ACCESS_JWT_HEADER);
      if (token === null) return undefined;
      const claims = await verifyJwt(token, jwtOptions, key);
      if (claims.exp === undefined || claims.exp <= now() / 1000 - CLOCK_TOLERANCE_SECONDS) {
        throw new AuthError("invalid_token", "The token has expired.");
      }
      return identityFromAccessClaims(claims, origin, scopes);
    },
  };
}

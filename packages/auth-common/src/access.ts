import type { JWTPayload } from "jose";
import { AuthError } from "./errors.ts";
import { credentialSchema, type VerifiedCredential } from "@mcp-auth/identity";
import { jwtKeyResolver, verifyJwt, type JwtOptions } from "./jwt.ts";
import { isScopeToken } from "./scope-token.ts";
import type { CredentialVerifier } from "./verifier.ts";

/** The header Cloudflare Access adds to every request it lets through to the origin. */
export const ACCESS_JWT_HEADER = "Cf-Access-Jwt-Assertion";

/** A team domain: one or more DNS labels under `cloudflareaccess.com`. */
const TEAM_HOST = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+cloudflareaccess\.com$/;
/** The test-only exception: a plain-HTTP loopback origin with an explicit port. */
const LOOPBACK_ORIGIN = /^http:\/\/(127\.0\.0\.1|localhost):([0-9]{1,5})\/?$/;
/** Clock skew allowed on `exp` (matches `verifyJwt`'s default). */
const CLOCK_TOLERANCE_SECONDS = 60;

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
}

/**
 * The issuer origin for a team domain: `https://<team>.cloudflareaccess.com`, lower-cased.
 *
 * Validates: a bare hostname or `https://` + hostname (one optional trailing `/`) ending in
 * `.cloudflareaccess.com`; nothing else (no path, port, query or credentials).
 * Exception, for tests only: `http://127.0.0.1:<port>` and `http://localhost:<port>` are
 * returned as given, so a local fake can serve the certs.
 * Does not validate: that the team exists. Throws an `Error` on anything else.
 */
export function accessTeamOrigin(teamDomain: string): string {
  const value = teamDomain.trim().toLowerCase();
  const loopback = LOOPBACK_ORIGIN.exec(value);
  if (loopback !== null) {
    const port = Number(loopback[2]);
    if (port < 1 || port > 65535) throw new Error("Access team domain: loopback port out of range");
    return `http://${loopback[1] ?? ""}:${port}`;
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
 * a subject (`sub`, or `common_name` for service tokens).
 * Does not validate: the `CF_Authorization` cookie (not read); Access policies (Access enforced
 * them before issuing the token); scopes per operation (every caller gets `scopes`).
 * No header → `undefined`, so other methods may look.
 */
export function accessVerifier(options: AccessOptions): CredentialVerifier {
  const origin = accessTeamOrigin(options.teamDomain);
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
  };
  const key = jwtKeyResolver(jwtOptions.keys);
  return {
    method: "access",
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

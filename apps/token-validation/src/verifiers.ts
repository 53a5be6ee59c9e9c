import { ConfigError } from "@mcp-auth/auth-common";
import {
  accessVerifier,
  apiKeyVerifier,
  introspectionVerifier,
  jwtVerifier,
  mtlsVerifier,
  type CredentialVerifier,
} from "@mcp-auth/auth-common/verifiers";
import type { AuthMethod, Config } from "./config.ts";
import { leasedKeyStore } from "./key-leases.ts";

/**
 * One verifier per configured method, in `AUTH_METHODS` order. Built once per isolate so the
 * JWKS and introspection caches live across requests. `config` has already failed closed on any
 * missing setting, so the `?? ""` below never supplies a value that is used.
 */
export function buildVerifiers(config: Config, env: Env): CredentialVerifier[] {
  const build: Record<AuthMethod, () => CredentialVerifier> = {
    api_key: () => apiKeyVerifier({ store: leasedKeyStore(env.API_KEYS) }),
    jwt: () =>
      jwtVerifier({
        issuer: config.JWT_ISSUER ?? "",
        audience: config.JWT_AUDIENCE ?? "",
        maxLifetimeSeconds: config.JWT_MAX_LIFETIME_SECONDS,
        ...(config.JWT_TYP === undefined ? {} : { typ: config.JWT_TYP }),
        ...(config.JWT_SECRET !== undefined
          ? { algorithms: ["HS256"], keys: { kind: "secret", secret: config.JWT_SECRET } }
          : {
              algorithms: config.JWT_ALGORITHMS.length > 0 ? config.JWT_ALGORITHMS : ["RS256"],
              keys: { kind: "jwks", url: new URL(config.JWT_JWKS_URL ?? "") },
            }),
      }),
    access: () =>
      accessVerifier({
        teamDomain: config.ACCESS_TEAM_DOMAIN ?? "",
        audience: config.ACCESS_AUD ?? "",
        scopes: config.ACCESS_SCOPES,
        allowInsecureLoopback: config.ALLOW_INSECURE_HTTP_LOOPBACK,
      }),
    introspection: () =>
      introspectionVerifier({
        url: config.INTROSPECTION_URL ?? "",
        clientId: config.INTROSPECTION_CLIENT_ID ?? "",
        clientSecret: config.INTROSPECTION_CLIENT_SECRET ?? "",
        audience: config.INTROSPECTION_AUDIENCE ?? "",
        ...(config.INTROSPECTION_ISSUER === undefined ? {} : { issuer: config.INTROSPECTION_ISSUER }),
        cacheSeconds: config.INTROSPECTION_CACHE_SECONDS,
        allowInsecureLoopback: config.ALLOW_INSECURE_HTTP_LOOPBACK,
      }),
    mtls: () => mtlsVerifier({ scopes: config.MTLS_SCOPES, allowedFingerprints: config.MTLS_FINGERPRINTS }),
  };
  return config.AUTH_METHODS.map((method) => {
    try {
      return build[method]();
    } catch (error) {
      // A setting the schema let through but the method refuses (e.g. a team domain that is not
      // under cloudflareaccess.com): refuse to serve, naming the method.
      throw new ConfigError(
        `Invalid configuration — ${method}: ${error instanceof Error ? error.message : "rejected"}`,
      );
    }
  });
}

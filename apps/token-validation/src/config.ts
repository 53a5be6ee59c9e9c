import {
  ASYMMETRIC_ALGORITHMS,
  MIN_HS256_SECRET_BYTES,
  configLoader,
  hostnamesVar,
  intVar,
  listVar,
  parseEnv,
  scopesVar,
} from "@mcp-auth/auth-common";
import { SCOPES } from "@mcp-auth/mcp-core";
import { z } from "zod";

export const AUTH_METHODS = ["api_key", "jwt", "access", "introspection", "mtls"] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

/** An https URL, or http on loopback (local dev and tests). */
const urlVar = z.url().refine((value) => {
  const url = new URL(value);
  return url.protocol === "https:" || ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
}, "must be https (http only on localhost)");

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === "" ? undefined : value));

const schema = z
  .object({
    AUTH_METHODS: listVar().pipe(z.array(z.enum(AUTH_METHODS)).min(1, "name at least one method")),
    AUTH_MODE: z
      .enum(["required", "optional", ""])
      .optional()
      .transform((value) => (value === "optional" ? "optional" : "required")),
    ANONYMOUS_SCOPES: scopesVar(SCOPES, "notes:read"),
    JWT_ISSUER: optionalString,
    JWT_AUDIENCE: optionalString,
    JWT_SECRET: optionalString,
    JWT_JWKS_URL: optionalString.pipe(urlVar.optional()),
    JWT_ALGORITHMS: listVar().pipe(z.array(z.enum(ASYMMETRIC_ALGORITHMS))),
    ACCESS_TEAM_DOMAIN: optionalString,
    ACCESS_AUD: optionalString,
    ACCESS_SCOPES: scopesVar(SCOPES, "notes:read notes:write"),
    INTROSPECTION_URL: optionalString.pipe(urlVar.optional()),
    INTROSPECTION_CLIENT_ID: optionalString,
    INTROSPECTION_CLIENT_SECRET: optionalString,
    MTLS_SCOPES: scopesVar(SCOPES, "notes:read notes:write"),
    MTLS_FINGERPRINTS: listVar().pipe(z.array(z.string().regex(/^[0-9a-f]{64}$/i, "SHA-256 fingerprints in hex"))),
    AUTHORIZATION_SERVERS: listVar().pipe(z.array(urlVar)),
    ALLOWED_HOSTNAMES: hostnamesVar(),
    ALLOWED_ORIGINS: hostnamesVar(),
    RATE_LIMIT_PERIOD_SECONDS: intVar(60, 3600),
  })
  .superRefine((env, ctx) => {
    // Fail closed: a method is never started with a check silently skipped.
    const need = (method: AuthMethod, names: (keyof typeof env)[]) => {
      if (!env.AUTH_METHODS.includes(method)) return;
      for (const name of names) {
        if (env[name] === undefined)
          ctx.addIssue({ code: "custom", path: [name], message: `required when AUTH_METHODS includes ${method}` });
      }
    };
    need("jwt", ["JWT_ISSUER", "JWT_AUDIENCE"]);
    need("access", ["ACCESS_TEAM_DOMAIN", "ACCESS_AUD"]);
    need("introspection", ["INTROSPECTION_URL", "INTROSPECTION_CLIENT_ID", "INTROSPECTION_CLIENT_SECRET"]);
    if (env.AUTH_METHODS.includes("jwt")) {
      if ((env.JWT_SECRET === undefined) === (env.JWT_JWKS_URL === undefined)) {
        ctx.addIssue({
          code: "custom",
          path: ["JWT_SECRET"],
          message: "set exactly one of JWT_SECRET (HS256) or JWT_JWKS_URL",
        });
      }
      if (
        env.JWT_SECRET !== undefined &&
        new TextEncoder().encode(env.JWT_SECRET).byteLength < MIN_HS256_SECRET_BYTES
      ) {
        ctx.addIssue({
          code: "custom",
          path: ["JWT_SECRET"],
          message: `must be at least ${MIN_HS256_SECRET_BYTES} bytes`,
        });
      }
    }
  });

/** Typed configuration of the token-validation app, parsed once per isolate; throws `ConfigError`. */
export const loadConfig = configLoader((env: Env) => parseEnv(schema, env));
export type Config = ReturnType<typeof loadConfig>;

import {
  adminSecretVar,
  INVALID,
  TRUSTED_URL_RULE,
  configLoader,
  envRules,
  flagVar,
  hostnamesVar,
  isTrustedServerUrl,
  intVar,
  listVar,
  optionalVar,
  parseEnv,
  scopesVar,
} from "@mcp-auth/auth-common";
import {
  ASYMMETRIC_ALGORITHMS,
  DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
  MIN_HS256_SECRET_BYTES,
} from "@mcp-auth/auth-common/verifiers";
import { SCOPES } from "@mcp-auth/mcp-core";
import { z } from "zod";

export const AUTH_METHODS = ["api_key", "jwt", "access", "introspection", "mtls"] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

/** A URL; whether plain http is allowed is decided below, with ALLOW_INSECURE_HTTP_LOOPBACK. */
const urlVar = z.url();

/** The JWT `typ` required when `JWT_TYP` is unset: RFC 9068 §2.1's access-token type. */
export const DEFAULT_JWT_TYP = "at+jwt";

const schema = envRules(
  z.object({
    AUTH_METHODS: listVar().pipe(z.array(z.enum(AUTH_METHODS)).min(1, "name at least one method")),
    AUTH_MODE: z
      .enum(["required", "optional", ""])
      .optional()
      .transform((value) => (value === "optional" ? "optional" : "required")),
    ANONYMOUS_SCOPES: scopesVar(SCOPES, "notes:read"),
    /**
     * Migration mode only: the day (UTC) from which a credential will be required. Anonymous
     * callers are told on every answer (RFC 9745 Deprecation, RFC 8594 Sunset, a line after each
     * tool result) and on the page. Switching AUTH_MODE to required on that day is the operator's.
     */
    AUTH_REQUIRED_FROM: optionalVar().pipe(z.iso.date("a date YYYY-MM-DD (UTC), e.g. 2027-01-15").optional()),
    JWT_ISSUER: optionalVar(),
    JWT_AUDIENCE: optionalVar(),
    JWT_SECRET: optionalVar(),
    JWT_JWKS_URL: optionalVar().pipe(urlVar.optional()),
    JWT_ALGORITHMS: listVar().pipe(z.array(z.enum(ASYMMETRIC_ALGORITHMS))),
    /**
     * The `typ` header a JWT must carry: `at+jwt` unless set (RFC 9068 §4: a resource server
     * MUST check it, so an ID token or another JWT of the same issuer cannot pass as an access
     * token). `*` turns the check off, for an IdP that types access tokens `JWT` or not at all.
     */
    JWT_TYP: optionalVar().pipe(
      z
        .string()
        .regex(/^(?:\*|[A-Za-z0-9!#$&^_.+-]+(?:\/[A-Za-z0-9!#$&^_.+-]+)?)$/, "a media type such as at+jwt, or *")
        .optional()
        .transform((value) => (value === undefined ? DEFAULT_JWT_TYP : value === "*" ? undefined : value)),
    ),
    /** Longest JWT lifetime accepted (`exp - iat`, or `exp - now`), seconds: one day unless set; at most a year. */
    JWT_MAX_LIFETIME_SECONDS: intVar(DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, 366 * 86_400),
    ACCESS_TEAM_DOMAIN: optionalVar(),
    ACCESS_AUD: optionalVar(),
    ACCESS_SCOPES: scopesVar(SCOPES, "notes:read notes:write"),
    INTROSPECTION_URL: optionalVar().pipe(urlVar.optional()),
    INTROSPECTION_CLIENT_ID: optionalVar(),
    INTROSPECTION_CLIENT_SECRET: optionalVar(),
    /** The audience an introspected token must carry: this server's resource identifier. */
    INTROSPECTION_AUDIENCE: optionalVar(),
    /** When set, an introspection answer must carry this `iss` (for an endpoint serving several issuers). */
    INTROSPECTION_ISSUER: optionalVar(),
    /**
     * How long an active introspection answer is reused, seconds (default 30, at most 300; never
     * past the token's `exp`): the bound on how late a revocation is seen. 0 asks every time.
     */
    INTROSPECTION_CACHE_SECONDS: intVar(30, 300, 0),
    /** Local development only: lets JWKS, introspection, Access and AS URLs be http on loopback. */
    ALLOW_INSECURE_HTTP_LOOPBACK: flagVar(),
    MTLS_SCOPES: scopesVar(SCOPES, "notes:read notes:write"),
    MTLS_FINGERPRINTS: listVar().pipe(z.array(z.string().regex(/^[0-9a-f]{64}$/i, "SHA-256 fingerprints in hex"))),
    AUTHORIZATION_SERVERS: listVar().pipe(z.array(urlVar)),
    ALLOWED_HOSTNAMES: hostnamesVar(),
    ALLOWED_ORIGINS: hostnamesVar(),
    RATE_LIMIT_PERIOD_SECONDS: intVar(60, 3600),
    /** Turns on the notes admin route (`/admin/notes`, `npm run notes`) with this bearer secret; unset: no route. */
    NOTES_ADMIN_SECRET: adminSecretVar(),
  }),
  (env, problem) => {
    // Fail closed: a method is never started with a check silently skipped. With AUTH_METHODS
    // itself invalid, the methods' rules wait for a list that parses.
    const methods = env.AUTH_METHODS === INVALID ? [] : env.AUTH_METHODS;
    const need = (method: AuthMethod, names: (keyof typeof env)[]) => {
      if (!methods.includes(method)) return;
      for (const name of names) {
        if (env[name] === undefined) problem(name, `required when AUTH_METHODS includes ${method}`);
      }
    };
    // Refused rather than ignored: with AUTH_MODE=required nobody is anonymous, so a date left
    // set would announce nothing, and one set before switching to optional would be a mistake.
    if (env.AUTH_MODE === "required" && typeof env.AUTH_REQUIRED_FROM === "string") {
      problem("AUTH_REQUIRED_FROM", "applies to AUTH_MODE=optional only: unset it once credentials are required");
    }
    need("jwt", ["JWT_ISSUER", "JWT_AUDIENCE"]);
    need("access", ["ACCESS_TEAM_DOMAIN", "ACCESS_AUD"]);
    need("introspection", [
      "INTROSPECTION_URL",
      "INTROSPECTION_CLIENT_ID",
      "INTROSPECTION_CLIENT_SECRET",
      "INTROSPECTION_AUDIENCE",
    ]);
    // One rule for every URL this server fetches or trusts (auth-common's loopback module); it
    // depends on the loopback flag, so it waits for a flag that parses.
    const insecureLoopback = env.ALLOW_INSECURE_HTTP_LOOPBACK;
    if (insecureLoopback !== INVALID) {
      const urls: [Parameters<typeof problem>[0], unknown][] = [
        ["JWT_JWKS_URL", env.JWT_JWKS_URL],
        ["INTROSPECTION_URL", env.INTROSPECTION_URL],
        ...(env.AUTHORIZATION_SERVERS === INVALID ? [] : env.AUTHORIZATION_SERVERS).map(
          (url, index): [`AUTHORIZATION_SERVERS.${number}`, string] => [`AUTHORIZATION_SERVERS.${index}`, url],
        ),
      ];
      for (const [name, url] of urls) {
        if (typeof url === "string" && !isTrustedServerUrl(new URL(url), insecureLoopback)) {
          problem(name, TRUSTED_URL_RULE);
        }
      }
    }
    if (methods.includes("jwt")) {
      // A JWKS URL that failed its own check is still set: "exactly one" counts it.
      if ((env.JWT_SECRET === undefined) === (env.JWT_JWKS_URL === undefined)) {
        problem("JWT_SECRET", "set exactly one of JWT_SECRET (HS256) or JWT_JWKS_URL");
      }
      const secret = env.JWT_SECRET;
      if (typeof secret === "string" && env.JWT_ALGORITHMS !== INVALID && env.JWT_ALGORITHMS.length > 0) {
        problem(
          "JWT_ALGORITHMS",
          "applies to JWT_JWKS_URL only: a JWT_SECRET always verifies HS256 (unset one of them)",
        );
      }
      if (typeof secret === "string" && new TextEncoder().encode(secret).byteLength < MIN_HS256_SECRET_BYTES) {
        problem("JWT_SECRET", `must be at least ${MIN_HS256_SECRET_BYTES} bytes`);
      }
    }
  },
);

/** Typed configuration of the token-validation app, parsed once per isolate; throws `ConfigError`. */
export const loadConfig = configLoader((env: Env) => parseEnv(schema, env));
export type Config = ReturnType<typeof loadConfig>;

import {
  adminSecretVar,
  INVALID,
  TRUSTED_URL_RULE,
  envRules,
  flagVar,
  hostnamesVar,
  intVar,
  isTrustedServerUrl,
  listVar,
  optionalVar,
  type EnvView,
  parseEnvRequiring,
  publicOriginRule,
} from "@mcp-auth/auth-common";
import { MIN_PEPPER_LENGTH } from "@mcp-auth/auth-common/accounts";
import { SCOPES } from "@mcp-auth/mcp-core";
import { z } from "zod";
import { canonicalResource } from "./resource-servers.ts";

const secret = (name: string) =>
  optionalVar()
    .pipe(
      z
        .string()
        .min(MIN_PEPPER_LENGTH, `at least ${MIN_PEPPER_LENGTH} characters (a random value from a password manager)`)
        .optional(),
    )
    .describe(name);

/** The ID-JAG signing algorithms workers-oauth-provider 1.2.3 verifies. */
const ENTERPRISE_ALGORITHMS = ["RS256", "ES256"] as const;

/** The variables that name the trusted enterprise IdP: all or none. */
const ENTERPRISE_REQUIRED = ["ENTERPRISE_IDP_ISSUER", "ENTERPRISE_IDP_JWKS_URL", "ENTERPRISE_IDP_ALGORITHMS"] as const;

/**
 * The enterprise IdP settings: all of {@link ENTERPRISE_REQUIRED} or none (AUDIENCE only with
 * them), the URLs https. The library refuses an enterprise IdP whose issuer or JWKS is not https,
 * even on loopback, so ALLOW_INSECURE_HTTP_LOOPBACK cannot allow it: such a value would fail
 * every exchange instead of failing here.
 */
function enterpriseIdpRule(
  env: EnvView<{
    ENTERPRISE_IDP_ISSUER?: string | undefined;
    ENTERPRISE_IDP_JWKS_URL?: string | undefined;
    ENTERPRISE_IDP_ALGORITHMS: readonly string[];
    ENTERPRISE_IDP_AUDIENCE?: string | undefined;
  }>,
  problem: (name: (typeof ENTERPRISE_REQUIRED)[number] | "ENTERPRISE_IDP_AUDIENCE", message: string) => void,
): void {
  const set = (name: (typeof ENTERPRISE_REQUIRED)[number]) => {
    const value = env[name];
    return value === INVALID || (Array.isArray(value) ? value.length > 0 : value !== undefined);
  };
  const present = ENTERPRISE_REQUIRED.filter(set);
  if (present.length > 0) {
    for (const name of ENTERPRISE_REQUIRED) {
      if (!present.includes(name)) problem(name, `required with ${present.join(", ")} (enterprise IdP: all or none)`);
    }
  } else if (env.ENTERPRISE_IDP_AUDIENCE !== undefined) {
    problem(
      "ENTERPRISE_IDP_AUDIENCE",
      "only with ENTERPRISE_IDP_ISSUER, ENTERPRISE_IDP_JWKS_URL and ENTERPRISE_IDP_ALGORITHMS",
    );
  }
  for (const name of ["ENTERPRISE_IDP_ISSUER", "ENTERPRISE_IDP_JWKS_URL"] as const) {
    const value = env[name];
    if (typeof value === "string" && new URL(value).protocol !== "https:") {
      problem(name, "https only: the library refuses an enterprise IdP over http, on loopback too");
    }
  }
}

const schema = envRules(
  z.object({
    /** The one origin this server answers on: issuer, resource `<origin>/mcp`, token audience. */
    PUBLIC_ORIGIN: optionalVar().pipe(z.url().optional()),
    PASSWORD_PEPPER: secret("PASSWORD_PEPPER"),
    PASSWORD_PEPPER_PREVIOUS: secret("PASSWORD_PEPPER_PREVIOUS"),
    SESSION_SECRET: secret("SESSION_SECRET"),
    /** Local development only: lets PUBLIC_ORIGIN be http on loopback. */
    ALLOW_INSECURE_HTTP_LOOPBACK: flagVar(),
    ALLOWED_ORIGINS: hostnamesVar(),
    RATE_LIMIT_PERIOD_SECONDS: intVar(60, 3600),
    /** Turns on the notes admin route (`/admin/notes`, `npm run notes`) with this bearer secret; unset: no route. */
    NOTES_ADMIN_SECRET: adminSecretVar(),
    /**
     * Other resources this server issues tokens for (RFC 8707), each with the scopes a token for
     * it may carry: a JSON object `{"<resource URL>": ["notes:read", …]}`. Such a server checks
     * its tokens at /introspect (register it with `npm run resource-servers -- add`).
     */
    EXTRA_RESOURCES: optionalVar().pipe(
      z
        .string()
        .transform((text, context) => {
          try {
            return JSON.parse(text) as unknown;
          } catch {
            context.addIssue({
              code: "custom",
              message: 'a JSON object such as {"https://mcp.example.com/mcp": ["notes:read"]}',
            });
            return z.NEVER;
          }
        })
        .pipe(
          z.record(
            z
              .string()
              .refine((url) => canonicalResource(url) === url, "a resource URL, written as the WHATWG URL parser does"),
            z.array(z.enum(SCOPES)).min(1, "at least one scope"),
          ),
        )
        .optional(),
    ),
    /** Enterprise-managed authorization: the trusted enterprise IdP's issuer, exactly as its ID-JAGs' `iss`. */
    ENTERPRISE_IDP_ISSUER: optionalVar().pipe(z.url().optional()),
    /** Its JWKS, fetched by the library (cached five minutes). */
    ENTERPRISE_IDP_JWKS_URL: optionalVar().pipe(z.url().optional()),
    /** The algorithms its ID-JAGs are signed with: RS256 and/or ES256, the library's only two. */
    ENTERPRISE_IDP_ALGORITHMS: listVar().pipe(z.array(z.enum(ENTERPRISE_ALGORITHMS))),
    /** The `aud` its ID-JAGs must carry; default PUBLIC_ORIGIN (this server's issuer). */
    ENTERPRISE_IDP_AUDIENCE: optionalVar().pipe(z.url().optional()),
  }),
  (env, problem) => {
    publicOriginRule(env, problem);
    if (env.PASSWORD_PEPPER === undefined) {
      problem("PASSWORD_PEPPER", "required: set it with `wrangler secret put PASSWORD_PEPPER`");
    }
    if (env.SESSION_SECRET === undefined) {
      problem("SESSION_SECRET", "required: set it with `wrangler secret put SESSION_SECRET`");
    }
    const extra = env.EXTRA_RESOURCES;
    const insecureLoopback = env.ALLOW_INSECURE_HTTP_LOOPBACK;
    if (extra !== INVALID && extra !== undefined && insecureLoopback !== INVALID) {
      const own = typeof env.PUBLIC_ORIGIN === "string" ? new URL("/mcp", env.PUBLIC_ORIGIN).href : undefined;
      for (const resource of Object.keys(extra)) {
        if (resource === own) problem("EXTRA_RESOURCES", "lists this server's own /mcp, which is always served");
        else if (!isTrustedServerUrl(new URL(resource), insecureLoopback)) problem("EXTRA_RESOURCES", TRUSTED_URL_RULE);
      }
    }
    enterpriseIdpRule(env, problem);
  },
);

/**
 * Parses the Worker's env; throws `ConfigError` naming every bad variable (never a value). The
 * rules have proven PUBLIC_ORIGIN, PASSWORD_PEPPER, SESSION_SECRET present.
 */
export function loadConfig(env: unknown) {
  return parseEnvRequiring(schema, env, ["PUBLIC_ORIGIN", "PASSWORD_PEPPER", "SESSION_SECRET"]);
}
export type Config = ReturnType<typeof loadConfig>;

/** The trusted enterprise IdP, when the ENTERPRISE_IDP_* variables name one (the rules made them all-or-none). */
export interface EnterpriseIdp {
  issuer: string;
  jwksUrl: string;
  algorithms: string[];
  audience: string;
}

/** The enterprise IdP of a parsed configuration, or undefined when none is configured. */
export function enterpriseIdpOf(config: Config): EnterpriseIdp | undefined {
  const { ENTERPRISE_IDP_ISSUER: issuer, ENTERPRISE_IDP_JWKS_URL: jwksUrl } = config;
  if (issuer === undefined || jwksUrl === undefined) return undefined;
  return {
    issuer,
    jwksUrl,
    algorithms: config.ENTERPRISE_IDP_ALGORITHMS,
    audience: config.ENTERPRISE_IDP_AUDIENCE ?? config.PUBLIC_ORIGIN,
  };
}

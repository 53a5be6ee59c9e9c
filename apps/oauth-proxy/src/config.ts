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
  parseEnvRequiring,
  publicOriginRule,
} from "@mcp-auth/auth-common";
import { z } from "zod";

export const UPSTREAMS = ["oidc", "google", "entra", "github"] as const;

const optionalUrl = optionalVar().pipe(z.url().optional());

const schema = envRules(
  z.object({
    /** The one origin this server answers on: issuer, resource `<origin>/mcp`, token audience. */
    PUBLIC_ORIGIN: optionalUrl,
    UPSTREAM: z.enum(UPSTREAMS),
    UPSTREAM_ISSUER: optionalUrl,
    UPSTREAM_CLIENT_ID: optionalVar(),
    UPSTREAM_CLIENT_SECRET: optionalVar(),
    GOOGLE_HOSTED_DOMAIN: optionalVar().pipe(
      z
        .string()
        .regex(/^[a-z0-9.-]+$/i, "a domain such as example.com")
        .optional(),
    ),
    ENTRA_TENANT: optionalVar().pipe(
      z
        .string()
        .regex(/^([0-9a-f-]{36}|organizations|common)$/i, "a tenant id (GUID), organizations or common")
        .optional(),
    ),
    ENTRA_ALLOWED_TENANTS: listVar().pipe(z.array(z.string().regex(/^[0-9a-f-]{36}$/i, "tenant ids (GUIDs)"))),
    GITHUB_BASE_URL: optionalUrl,
    GITHUB_API_URL: optionalUrl,
    /** Local development only: lets PUBLIC_ORIGIN and UPSTREAM_ISSUER be http on loopback. */
    ALLOW_INSECURE_HTTP_LOOPBACK: flagVar(),
    ALLOWED_ORIGINS: hostnamesVar(),
    RATE_LIMIT_PERIOD_SECONDS: intVar(60, 3600),
    /** Turns on the notes admin route (`/admin/notes`, `npm run notes`) with this bearer secret; unset: no route. */
    NOTES_ADMIN_SECRET: adminSecretVar(),
  }),
  (env, problem) => {
    // URL rules that depend on the loopback flag wait for a flag that parses.
    const insecureLoopback = env.ALLOW_INSECURE_HTTP_LOOPBACK;
    publicOriginRule(env, problem);
    if (env.UPSTREAM_CLIENT_ID === undefined)
      problem("UPSTREAM_CLIENT_ID", "required: the client id this server has at the upstream IdP");
    if (env.UPSTREAM_CLIENT_SECRET === undefined) {
      problem("UPSTREAM_CLIENT_SECRET", "required: set it with `wrangler secret put UPSTREAM_CLIENT_SECRET`");
    }
    // An UPSTREAM that failed matches no preset below: its rules wait for one that parses.
    if (env.UPSTREAM === "oidc") {
      if (env.UPSTREAM_ISSUER === undefined) problem("UPSTREAM_ISSUER", "required when UPSTREAM=oidc");
      else if (
        env.UPSTREAM_ISSUER !== INVALID &&
        insecureLoopback !== INVALID &&
        !isTrustedServerUrl(new URL(env.UPSTREAM_ISSUER), insecureLoopback)
      ) {
        problem("UPSTREAM_ISSUER", TRUSTED_URL_RULE);
      }
    }
    if (env.UPSTREAM === "entra") {
      const tenant = env.ENTRA_TENANT;
      if (tenant === undefined) problem("ENTRA_TENANT", "required when UPSTREAM=entra");
      else if (
        tenant !== INVALID &&
        /^(organizations|common)$/i.test(tenant) &&
        env.ENTRA_ALLOWED_TENANTS !== INVALID &&
        env.ENTRA_ALLOWED_TENANTS.length === 0
      ) {
        problem("ENTRA_ALLOWED_TENANTS", `required when ENTRA_TENANT=${tenant}: the tenant ids allowed to sign in`);
      }
    }
    for (const name of ["GITHUB_BASE_URL", "GITHUB_API_URL"] as const) {
      const value = env[name];
      if (typeof value === "string" && !isTrustedServerUrl(new URL(value), false)) problem(name, "must be https");
    }
  },
);

/**
 * Parses the Worker's env; throws `ConfigError` naming every bad variable (never a value). The
 * rules have proven PUBLIC_ORIGIN, UPSTREAM_CLIENT_ID, UPSTREAM_CLIENT_SECRET present.
 */
export function loadConfig(env: unknown) {
  return parseEnvRequiring(schema, env, ["PUBLIC_ORIGIN", "UPSTREAM_CLIENT_ID", "UPSTREAM_CLIENT_SECRET"]);
}
export type Config = ReturnType<typeof loadConfig>;

import {
  INVALID,
  TRUSTED_URL_RULE,
  envRules,
  flagVar,
  hostnamesVar,
  intVar,
  isTrustedServerUrl,
  optionalVar,
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

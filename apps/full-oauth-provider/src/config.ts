import {
  envRules,
  flagVar,
  hostnamesVar,
  intVar,
  optionalVar,
  parseEnvRequiring,
  publicOriginRule,
} from "@mcp-auth/auth-common";
import { MIN_PEPPER_LENGTH } from "@mcp-auth/auth-common/accounts";
import { z } from "zod";

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
  }),
  (env, problem) => {
    publicOriginRule(env, problem);
    if (env.PASSWORD_PEPPER === undefined) {
      problem("PASSWORD_PEPPER", "required: set it with `wrangler secret put PASSWORD_PEPPER`");
    }
    if (env.SESSION_SECRET === undefined) {
      problem("SESSION_SECRET", "required: set it with `wrangler secret put SESSION_SECRET`");
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

import { adminSecretVar, configLoader, hostnamesVar, intVar, parseEnv, scopesVar } from "@mcp-auth/auth-common";
import { SCOPES } from "@mcp-auth/mcp-core";
import { z } from "zod";

const schema = z.object({
  /** Scopes every anonymous caller gets. */
  ANONYMOUS_SCOPES: scopesVar(SCOPES, "notes:read notes:write"),
  /** Public hostnames this Worker answers besides loopback, e.g. `mcp.example.com`. */
  ALLOWED_HOSTNAMES: hostnamesVar(),
  /** Extra browser origins (hostnames) allowed to call `/mcp`, e.g. a web MCP client. */
  ALLOWED_ORIGINS: hostnamesVar(),
  /** The rate limiter's period; sent as `Retry-After`. */
  RATE_LIMIT_PERIOD_SECONDS: intVar(60, 3600),
  /** Turns on the notes admin route (`/admin/notes`, `npm run notes`) with this bearer secret; unset: no route. */
  NOTES_ADMIN_SECRET: adminSecretVar(),
});

/** Typed configuration of the no-auth app, parsed once per isolate; throws `ConfigError`. */
export const loadConfig = configLoader((env: Env) => parseEnv(schema, env));
export type Config = ReturnType<typeof loadConfig>;

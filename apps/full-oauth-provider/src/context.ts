// The one context every route of this app works with, built once per configuration: the
// settings, the bindings, and the work that runs after the response (audit rows, clean-up).
import type { OAuthHelpers } from "@cloudflare/workers-oauth-provider";
import { consoleLog, type RateLimiter } from "@mcp-auth/auth-common";
import { pepperFromSecret, type Peppers } from "@mcp-auth/auth-common/accounts";
import type { ConsentScopes } from "@mcp-auth/auth-common/authorization-server";
import { waitUntil } from "cloudflare:workers";
import type { Config } from "./config.ts";
import { audit, type AuditEvent, type UserDatabase } from "./users.ts";

/** The sign-in limiters' period (their `simple.period` in wrangler.jsonc). */
const SIGN_IN_LIMIT_PERIOD_SECONDS = 60;

export interface AppContext {
  db: UserDatabase;
  publicOrigin: string;
  /**
   * What the consent page offers for a resource (RFC 8707; `undefined` is this server's /mcp):
   * its scopes, the initial ones, their descriptions, and the name it is shown by. A grant for
   * the resource never holds more than these scopes.
   */
  consent: (resource: string | undefined) => ConsentScopes;
  sessionSecret: string;
  /** The current pepper and any previous one, derived once per configuration. */
  peppers: Promise<Peppers>;
  addressLimiter: RateLimiter;
  accountLimiter: RateLimiter;
  rateLimitPeriodSeconds: number;
  /** Runs `work` after the response: a failure is logged, never the request's failure. */
  defer: (work: Promise<unknown>) => void;
  /** Writes an audit row after the response ({@link AppContext.defer}). */
  audit: (entry: AuditEvent) => void;
}

/** A route's context inside the authorization server: the app's and this request's library helpers. */
export type RouteContext = AppContext & { oauth: OAuthHelpers };

/** Runs `work` after the response; a failure is logged as `dependency_failed` (D1), never thrown. */
function defer(work: Promise<unknown>): void {
  waitUntil(
    work.catch((error: unknown) => {
      consoleLog("error", { event: "dependency_failed", dependency: "d1", reason: String(error) });
    }),
  );
}

/** The current pepper and any previous one, from the secrets. */
async function peppersOf(config: Config): Promise<Peppers> {
  const current = await pepperFromSecret(config.PASSWORD_PEPPER);
  const previous = config.PASSWORD_PEPPER_PREVIOUS;
  return previous === undefined ? { current } : { current, previous: [await pepperFromSecret(previous)] };
}

/** The app's context for one configuration and its bindings. */
export function appContext(env: Env, config: Config, consent: ConsentScopes): AppContext {
  const extra = config.EXTRA_RESOURCES ?? {};
  return {
    db: env.DB,
    publicOrigin: config.PUBLIC_ORIGIN,
    consent: (resource) => {
      const scopes: readonly string[] | undefined = resource === undefined ? undefined : extra[resource];
      if (scopes === undefined) return consent;
      return {
        ...consent,
        scopes: consent.scopes.filter((scope) => scopes.includes(scope)),
        initialScopes: consent.initialScopes.filter((scope) => scopes.includes(scope)),
        serverName: resource ?? consent.serverName,
      };
    },
    sessionSecret: config.SESSION_SECRET,
    peppers: peppersOf(config),
    addressLimiter: env.SIGN_IN_ADDRESS_LIMITER,
    accountLimiter: env.SIGN_IN_ACCOUNT_LIMITER,
    rateLimitPeriodSeconds: SIGN_IN_LIMIT_PERIOD_SECONDS,
    defer,
    audit: (entry) => {
      defer(audit(env.DB, entry));
    },
  };
}

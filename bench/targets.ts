// What the benchmark measures: one row per target. Adding a target is adding a row here.
import { apiKeyPool, hs256Jwt, type Credential } from "./lib/credentials.ts";
import { oauthFlow } from "./lib/oauth.ts";
import {
  devIdpUpstream,
  introspectingAuthorizationServer,
  ownIdentityProvider,
  type ServerSetup,
} from "./lib/setup.ts";

/** One benchmark target: a Worker under `wrangler dev` and how its requests are sent. */
export interface BenchTarget {
  /** Shown in the report. */
  name: string;
  /** The Worker's directory, relative to the repo root. */
  dir: string;
  /** `--config`, relative to `dir` (default `wrangler.jsonc`). */
  config?: string;
  /** `--var NAME:VALUE` overrides. */
  vars?: Record<string, string>;
  /** wrangler commands run against the server's fresh state before it starts. */
  prepare?: string[][];
  /**
   * Run before the server starts: peers it needs (an upstream IdP) and what is known only then
   * (extra vars, a fixed port, the public origin requests go to); stopped at the end of the run.
   */
  setup?: () => Promise<ServerSetup>;
  /** How each request gets its `Authorization` header (none when omitted). */
  credential?: () => Credential;
  /** The Worker serves MCP sessions only: each load connection sends `initialize` first. */
  session?: boolean;
  /** The ratio this target is judged by: its median req/s over that target's, and the goal. */
  compare?: { with: string; target: number };
  /**
   * For a baseline variant: every ratio against `of` is also shown split in two factors,
   * (this / of) — what `note` says — and (app / this), the app's own overhead.
   */
  factorOf?: { of: string; note: string };
}

/**
 * token-validation's JWT settings for the run (`--var`). The secret exists only for this run: it is
 * passed on the command line and signs one token that expires in an hour.
 */
const TV_JWT = {
  secret: "bench-only-hs256-secret-never-deployed-0123456789abcdef",
  issuer: "http://127.0.0.1:8791",
  audience: "http://localhost:8788/mcp",
};
const TV_VARS = {
  AUTH_METHODS: "api_key,jwt",
  JWT_SECRET: TV_JWT.secret,
  JWT_ISSUER: TV_JWT.issuer,
  JWT_AUDIENCE: TV_JWT.audience,
};
/** KEYS_DB's tables exist before the server starts (and before the key CLI writes to them). */
const TV_MIGRATE = ["d1", "migrations", "apply", "KEYS_DB", "--local"];

/** oauth-proxy signs people in at dev-idp, started for the run on a free port. */
const OAUTH_PROXY_UPSTREAM = devIdpUpstream();

/** full-oauth-provider hashes passwords with this pepper for the run (the CLI needs it too). */
const FOP_PEPPER = "bench-only-password-pepper-never-deployed-0123456789";

/** token-validation checking full-oauth-provider's tokens at /introspect, with and without its cache. */
const INTROSPECTED = introspectingAuthorizationServer(FOP_PEPPER, 30);
const INTROSPECTED_UNCACHED = introspectingAuthorizationServer(FOP_PEPPER, 0);
const BOTH_SCOPES = ["notes:read", "notes:write"];

/**
 * The targets, measured in this order in every round. Targets with the same dir, config, vars,
 * prepare and setup share one `wrangler dev` (tv-jwt and tv-api-key do).
 */
export const TARGETS: readonly BenchTarget[] = [
  { name: "baseline", dir: "bench/baseline" },
  {
    name: "baseline+rl",
    dir: "bench/baseline",
    config: "wrangler.ratelimited.jsonc",
    factorOf: { of: "baseline", note: "cost of the rate-limit binding under wrangler dev" },
  },
  { name: "no-auth", dir: "apps/no-auth", compare: { with: "baseline", target: 0.9 } },
  {
    name: "mcp-agent",
    dir: "bench/mcp-agent",
    session: true,
    // Issue 19: the seeds' McpAgent shape, every call through its session's Durable Object
    // (measured 0.50 and 0.55 on a loaded 2-core machine).
    compare: { with: "baseline", target: 0.4 },
  },
  {
    name: "tv-jwt",
    dir: "apps/token-validation",
    vars: TV_VARS,
    prepare: [TV_MIGRATE],
    credential: hs256Jwt(TV_JWT),
    compare: { with: "baseline", target: 0.85 },
  },
  {
    name: "tv-api-key",
    dir: "apps/token-validation",
    vars: TV_VARS,
    prepare: [TV_MIGRATE],
    credential: apiKeyPool({ cli: "scripts/keys.ts", perKeyLimitPerMinute: 600 }),
    // Issue 7 §8: the API-key path against a Worker that makes the same per-address binding call.
    compare: { with: "baseline+rl", target: 0.8 },
  },
  {
    name: "oauth-proxy",
    dir: "apps/oauth-proxy",
    setup: OAUTH_PROXY_UPSTREAM,
    credential: oauthFlow({ scopes: ["notes:read", "notes:write"] }),
    // Echo with a valid access token against a Worker that makes the same per-address binding call.
    compare: { with: "baseline+rl", target: 0.75 },
  },
  {
    name: "full-oauth-provider",
    dir: "apps/full-oauth-provider",
    prepare: [["d1", "migrations", "apply", "DB", "--local"]],
    setup: ownIdentityProvider(FOP_PEPPER),
    credential: oauthFlow({
      scopes: ["notes:read", "notes:write"],
      account: { cli: "scripts/users.ts", pepper: FOP_PEPPER },
    }),
    // Issue 6: echo with a valid access token (and the D1 user check every request makes).
    compare: { with: "baseline+rl", target: 0.75 },
  },
  {
    name: "tv-introspect",
    dir: "apps/token-validation",
    prepare: [TV_MIGRATE],
    setup: INTROSPECTED.setup,
    credential: oauthFlow({ scopes: BOTH_SCOPES, signIn: INTROSPECTED.account }),
    // Issue 18: an introspected token, answers cached 30 s (one /introspect per token per isolate
    // and half minute), against the JWT row's local signature check.
    compare: { with: "tv-jwt", target: 0.8 },
  },
  {
    name: "tv-introspect-nocache",
    dir: "apps/token-validation",
    prepare: [TV_MIGRATE],
    setup: INTROSPECTED_UNCACHED.setup,
    credential: oauthFlow({ scopes: BOTH_SCOPES, signIn: INTROSPECTED_UNCACHED.account }),
    // Every request asks full-oauth-provider (a second Worker, its KV and D1): what the cache saves.
    compare: { with: "tv-introspect", target: 0.2 },
  },
];

/** Worker bundles larger than this (gzip KiB) are reported as over target. */
export const GZIP_TARGET_KIB = 400;

// The four apps as deploy sees them: where each lives, its committed wrangler.jsonc (the dev
// config), the secrets its Worker reads and the dev values that must never be deployed.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { jsoncToJson } from "@mcp-auth/dev-harness";

/** The apps `deploy` knows, in the order the root README introduces them. */
export const APPS = ["no-auth", "token-validation", "oauth-proxy", "full-oauth-provider"] as const;
export type AppName = (typeof APPS)[number];

/** Narrows a command-line word to an app name. */
export const isApp = (name: string): name is AppName => (APPS as readonly string[]).includes(name);

/** The repository's root. */
export const REPO = resolve(import.meta.dirname, "..", "..");

/** An app's folder: its config.ts, wrangler.jsonc, migrations. */
export const appDir = (app: AppName) => join(REPO, "apps", app);

/** The git-ignored deploy config `deploy` writes next to the app's wrangler.jsonc. */
export const DEPLOY_CONFIG = "wrangler.deploy.jsonc";
/** The git-ignored record of what `deploy` created (for `--teardown`). */
export const DEPLOY_STATE = ".deploy-state.json";

/** The placeholder ids the committed wrangler.jsonc files carry (dev never needs real ones). */
export const PLACEHOLDER_IDS = new Set(["00000000000000000000000000000000", "00000000-0000-0000-0000-000000000000"]);

/** Local development only: lets URLs be plain http on loopback. Never deployed. */
export const DEV_ONLY_FLAG = "ALLOW_INSECURE_HTTP_LOOPBACK";

/** The parts of a wrangler config deploy reads and writes. */
export interface WranglerConfig {
  name: string;
  main?: string;
  compatibility_date?: string;
  compatibility_flags?: string[];
  kv_namespaces?: { binding: string; id: string }[];
  d1_databases?: { binding: string; database_name: string; database_id: string; migrations_dir?: string }[];
  durable_objects?: unknown;
  migrations?: unknown;
  ratelimits?: unknown;
  routes?: (string | { pattern: string; custom_domain?: boolean; zone_name?: string })[];
  workers_dev?: boolean;
  vars?: Record<string, unknown>;
  [key: string]: unknown;
}

/** A wrangler.jsonc (comments, trailing commas) parsed. */
export function readJsonc(path: string): unknown {
  return JSON.parse(jsoncToJson(readFileSync(path, "utf8")));
}

/** The app's committed wrangler.jsonc. */
export const baseConfig = (app: AppName) => readJsonc(join(appDir(app), "wrangler.jsonc")) as WranglerConfig;

/** The assignments of the app's .dev.vars.example (commented-out lines are not assignments). */
export function devExample(app: AppName): Map<string, string> {
  const path = join(appDir(app), ".dev.vars.example");
  const found = new Map<string, string>();
  if (!existsSync(path)) return found;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const match = /^([A-Z][A-Z0-9_]*)=(?:"([^"]*)"|'([^']*)'|(\S*))\s*$/.exec(line);
    if (match?.[1] !== undefined) found.set(match[1], match[2] ?? match[3] ?? match[4] ?? "");
  }
  return found;
}

/**
 * The secrets the app's Worker reads: what its .dev.vars.example sets that wrangler.jsonc has
 * no var for (the committed config ships no secret), less the dev-only flag.
 */
export function secretNames(app: AppName): string[] {
  const vars = baseConfig(app).vars ?? {};
  return [...devExample(app).keys()].filter((name) => !(name in vars) && name !== DEV_ONLY_FLAG).sort();
}

/**
 * The values of the app's .dev.vars.example that are dev credentials (a pepper, a session or
 * client secret, the notes admin secret): public in git, so never a deployed value.
 */
export function devSecretValues(app: AppName): Set<string> {
  const secrets = new Set(secretNames(app));
  return new Set([...devExample(app)].filter(([name, value]) => secrets.has(name) && value !== "").map(([, v]) => v));
}

/**
 * Secrets another party holds too: an IdP's client secrets, and JWT_SECRET (whoever signs the
 * tokens needs it). `--generate-secrets` cannot make them up: a value shown nowhere would be useless.
 */
export const ISSUED_ELSEWHERE: ReadonlySet<string> = new Set([
  "UPSTREAM_CLIENT_SECRET",
  "INTROSPECTION_CLIENT_SECRET",
  "JWT_SECRET",
]);

// Preflight: the config wrangler would deploy, checked before anything is created or deployed,
// offline. The app's own config schema (scripts/app-config.ts) decides which vars are wrong and
// which secrets are required, so preflight and the Worker cannot disagree; the rest is what only a
// deploy has: real binding ids, the address the Worker is served on, no dev value.
import { isLoopbackHostname } from "@mcp-auth/auth-common";
import { MISSING_SECRET, configProblems } from "../../scripts/app-config.ts";
import {
  type AppName,
  DEPLOY_CONFIG,
  DEV_ONLY_FLAG,
  PLACEHOLDER_IDS,
  type WranglerConfig,
  appDir,
  baseConfig,
  devSecretValues,
  secretNames,
} from "./apps.ts";
import { varText } from "./deploy-config.ts";

/** One thing that would make the deployed Worker refuse to serve (or serve wrongly), with its fix. */
export interface Problem {
  /** The variable, binding or config key concerned. */
  name: string;
  problem: string;
  fix: string;
}

/** What preflight found. */
export interface Preflight {
  problems: Problem[];
  /** The secrets this config needs (from the app's schema), set or not. */
  requiredSecrets: string[];
}

/** What preflight knows beyond the config. */
export interface PreflightOptions {
  /** Secret values at hand (a --secrets-from file, the environment): checked as the Worker would. */
  secrets?: ReadonlyMap<string, string>;
  /** The secrets the deployed Worker has (`wrangler secret list`); unknown offline. */
  deployedSecrets?: readonly string[];
}

/** The shell command that prints a random secret value (the README's). */
export const RANDOM_SECRET_COMMAND = `node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))"`;

/** A value that passes every secret's own rule, standing for a secret set with `wrangler secret put`. */
const STAND_IN = "preflight-stand-in-".padEnd(64, "x");

/** The hostnames a config serves the Worker on: its routes' and custom domains'. */
export function routeHosts(config: WranglerConfig): string[] {
  return (config.routes ?? []).map((route) => {
    const pattern = typeof route === "string" ? route : route.pattern;
    return pattern.replace(/^https?:\/\//, "").split("/")[0] ?? pattern;
  });
}

/** Whether the config serves the Worker on workers.dev (wrangler's default when it has no routes). */
export const onWorkersDev = (config: WranglerConfig) => config.workers_dev ?? routeHosts(config).length === 0;

/** Whether `host` is this Worker's workers.dev name: `<name>.<account subdomain>.workers.dev`. */
const isWorkersDevHost = (host: string, name: string) =>
  new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.[a-z0-9-]+\\.workers\\.dev$`, "i").test(host);

/** The words of a var that could be a URL or a hostname. */
const hostsIn = (value: string) =>
  value
    .split(/[\s,"{}[\]]+/)
    .filter((word) => word !== "")
    .map((word) => (URL.canParse(word) ? new URL(word).hostname : (word.split(/[:/]/)[0] ?? word)));

/** The config's parts that must equal the app's wrangler.jsonc: a deploy config is a copy plus ids and vars. */
const COPIED = ["main", "compatibility_date", "compatibility_flags", "durable_objects", "migrations", "ratelimits"];

/** Every problem of `config` (the deploy config of `app`), each with its fix; exit 1 on any. */
export async function preflight(
  app: AppName,
  config: WranglerConfig,
  options: PreflightOptions = {},
): Promise<Preflight> {
  const problems: Problem[] = [];
  const add = (name: string, problem: string, fix: string) => problems.push({ name, problem, fix });
  const base = baseConfig(app);
  const rerun = `run \`npm run deploy -- ${app}\` again: it rewrites ${DEPLOY_CONFIG} from wrangler.jsonc, keeping your ids and vars`;

  for (const key of COPIED) {
    // main is written relative to the deploy config; the rest must be the committed value.
    if (key === "main") continue;
    if (JSON.stringify(config[key]) !== JSON.stringify(base[key])) {
      add(key, "differs from the app's wrangler.jsonc (the deploy config is out of date)", rerun);
    }
  }
  for (const { binding } of base.kv_namespaces ?? []) {
    const entry = config.kv_namespaces?.find((namespace) => namespace.binding === binding);
    if (entry === undefined) add(`kv_namespaces ${binding}`, "missing", rerun);
    else if (PLACEHOLDER_IDS.has(entry.id) || !/^[0-9a-f]{32}$/.test(entry.id)) {
      add(
        `kv_namespaces ${binding}`,
        PLACEHOLDER_IDS.has(entry.id) ? "id is the placeholder of wrangler.jsonc" : "id is not a KV namespace id",
        `run \`npm run deploy -- ${app}\` (it creates or reuses the namespace), or \`wrangler kv namespace create ${config.name}-${binding}\` and put its id here`,
      );
    }
  }
  for (const { binding } of base.d1_databases ?? []) {
    const entry = config.d1_databases?.find((database) => database.binding === binding);
    if (entry === undefined) add(`d1_databases ${binding}`, "missing", rerun);
    else if (
      PLACEHOLDER_IDS.has(entry.database_id) ||
      !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(entry.database_id)
    ) {
      add(
        `d1_databases ${binding}`,
        PLACEHOLDER_IDS.has(entry.database_id)
          ? "database_id is the placeholder of wrangler.jsonc"
          : "database_id is not a D1 database id",
        `run \`npm run deploy -- ${app}\` (it creates or reuses the database), or \`wrangler d1 create ${entry.database_name}\` and put its id here`,
      );
    }
  }

  const vars = config.vars ?? {};
  const hosts = routeHosts(config);
  const workersDev = onWorkersDev(config);
  const where = [...hosts, ...(workersDev ? [`${config.name}.<your subdomain>.workers.dev`] : [])].join(", ");
  const served = (host: string) => hosts.includes(host) || (workersDev && isWorkersDevHost(host, config.name));
  const addressFix = `pass --origin https://<your domain> or --workers-dev <your subdomain> to \`npm run deploy -- ${app}\``;
  if (hosts.length === 0 && !workersDev) {
    add("routes", "the Worker is served nowhere: no route or custom domain, and workers_dev is false", addressFix);
  }
  if ("PUBLIC_ORIGIN" in (base.vars ?? {})) {
    const origin = vars["PUBLIC_ORIGIN"];
    if (typeof origin === "string" && URL.canParse(origin)) {
      const url = new URL(origin);
      if (url.protocol !== "https:") add("PUBLIC_ORIGIN", "not https (clients refuse OAuth over http)", addressFix);
      else if (!served(url.host)) {
        add("PUBLIC_ORIGIN", `${url.host} is not where this config serves the Worker (${where})`, addressFix);
      }
    }
  } else if ("ALLOWED_HOSTNAMES" in (base.vars ?? {})) {
    const allowed = varText(vars["ALLOWED_HOSTNAMES"])
      .split(",")
      .map((host) => host.trim().toLowerCase())
      .filter((host) => host !== "");
    for (const host of hosts) {
      if (!allowed.includes(host.toLowerCase())) {
        add("ALLOWED_HOSTNAMES", `lacks ${host} (the Worker answers 403 to every request there)`, addressFix);
      }
    }
    if (workersDev && !allowed.some((host) => isWorkersDevHost(host, config.name))) {
      add(
        "ALLOWED_HOSTNAMES",
        `lacks this Worker's workers.dev name ${config.name}.<your subdomain>.workers.dev (403 to every request there)`,
        addressFix,
      );
    }
  }

  const secrets = new Set(secretNames(app));
  const devValues = devSecretValues(app);
  const known = options.secrets ?? new Map<string, string>();
  const isDevValue = (value: string) => devValues.has(value) || value.startsWith("dev-only-");
  const randomFix = `a random value: \`${RANDOM_SECRET_COMMAND}\``;
  for (const [name, value] of Object.entries(vars)) {
    const text = varText(value);
    if (name === DEV_ONLY_FLAG) {
      if (text !== "" && text !== "false") {
        add(name, "is a local development setting (plain http on loopback)", `remove it from vars in ${DEPLOY_CONFIG}`);
      }
    } else if (secrets.has(name)) {
      add(
        name,
        "is a secret, set here in plain text in vars",
        `remove it from vars in ${DEPLOY_CONFIG}; set it with \`wrangler secret put ${name}\``,
      );
    } else if (hostsIn(text).some(isLoopbackHostname)) {
      add(
        name,
        "names a loopback address (this machine, not the deployed Worker's)",
        `set the public URL in vars in ${DEPLOY_CONFIG}`,
      );
    }
    if (isDevValue(text)) add(name, "is a dev value from .dev.vars.example (public in git)", randomFix);
  }
  for (const [name, value] of known) {
    if (isDevValue(value)) add(name, "is a dev value from .dev.vars.example (public in git)", randomFix);
  }

  // Vars as the Worker sees them: secrets come from `wrangler secret put`, not from vars.
  const env: Record<string, unknown> = Object.fromEntries(Object.entries(vars).filter(([name]) => !secrets.has(name)));
  for (const [name, value] of known) env[name] = value;
  const required = new Set<string>();
  for (const line of await configProblems(appDir(app), env)) {
    const name = /^(\w+):/.exec(line)?.[1];
    if (name !== undefined && secrets.has(name) && !known.has(name)) required.add(name);
  }
  for (const name of required) env[name] = STAND_IN;
  for (const line of await configProblems(appDir(app), env)) {
    const [, name = "(env)", message = line] = /^([\w.()]+): (.*)$/.exec(line) ?? [];
    const fix = secrets.has(name)
      ? `set it with \`wrangler secret put ${name}\` (or --secrets-from FILE)`
      : name === "PUBLIC_ORIGIN"
        ? addressFix
        : `set ${name} in vars in ${DEPLOY_CONFIG} (or pass --var ${name}=…)`;
    add(name, MISSING_SECRET.test(line) ? "required secret" : message, fix);
  }
  if (options.deployedSecrets !== undefined) {
    for (const name of required) {
      if (!options.deployedSecrets.includes(name)) {
        add(
          name,
          "required secret, not set on the Worker",
          `\`wrangler secret put ${name} --config ${DEPLOY_CONFIG}\`, or run deploy again (it asks for it)`,
        );
      }
    }
  }
  return { problems, requiredSecrets: [...required].sort() };
}

/** Preflight's findings as terminal lines: each problem and its fix. */
export function problemLines(problems: readonly Problem[]): string[] {
  return problems.flatMap((problem) => [`  ✗ ${problem.name}: ${problem.problem}`, `      fix: ${problem.fix}`]);
}

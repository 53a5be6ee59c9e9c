// The deploy config (`apps/<app>/wrangler.deploy.jsonc`, git-ignored): the app's wrangler.jsonc
// plus this account's binding ids, the production vars and where the Worker is served. A file
// rather than `--var` flags, so a later `wrangler deploy --config wrangler.deploy.jsonc` deploys
// the same Worker (flags are forgotten and PUBLIC_ORIGIN would reset to "").
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import {
  type AppName,
  DEPLOY_CONFIG,
  DEPLOY_STATE,
  DEV_ONLY_FLAG,
  type WranglerConfig,
  appDir,
  baseConfig,
  readJsonc,
} from "./apps.ts";

/** What `deploy` created (and may therefore remove), kept next to the deploy config. */
export interface DeployState {
  app: AppName;
  /** The Worker, once deploy has set a secret on it or deployed it. */
  worker?: string;
  kv: { binding: string; title: string; id: string }[];
  d1: { binding: string; name: string; id: string }[];
}

/** Where deploy writes its config and state: the app's folder, or `dir` (the tests'). */
export const deployPaths = (app: AppName, dir = appDir(app)) => ({
  dir,
  config: join(dir, DEPLOY_CONFIG),
  state: join(dir, DEPLOY_STATE),
});

/** The deploy config at `path`, or undefined when there is none yet. */
export const readDeployConfig = (path: string) => (existsSync(path) ? (readJsonc(path) as WranglerConfig) : undefined);

/** The deploy config at `path`, which deploy has just written. */
export function writtenDeployConfig(path: string): WranglerConfig {
  const config = readDeployConfig(path);
  if (config === undefined) throw new Error(`${path} is gone`);
  return config;
}

/** A var as text (vars are strings; anything else as its JSON). */
export const varText = (value: unknown) =>
  typeof value === "string" ? value : value === undefined ? "" : JSON.stringify(value);

/** The state at `path`, or an empty one. */
export function readState(app: AppName, path: string): DeployState {
  if (!existsSync(path)) return { app, kv: [], d1: [] };
  return JSON.parse(readFileSync(path, "utf8")) as DeployState;
}

/** Writes the state (ids and names only: no secret ever reaches it). */
export function writeState(path: string, state: DeployState): void {
  writeFileSync(path, `${JSON.stringify(state, null, 2)}\n`);
}

/** Where the Worker is served, from `--origin` or `--workers-dev`. */
export type Address = { origin: string; customDomain: string } | { origin: string; workersDev: string };

/** The address an origin names: a `*.workers.dev` one, or a custom domain. */
export function addressOf(origin: string, name: string): Address {
  const host = new URL(origin).host;
  const workersDev = new RegExp(`^${name}\\.([a-z0-9-]+)\\.workers\\.dev$`, "i").exec(host)?.[1];
  return workersDev === undefined ? { origin, customDomain: host } : { origin, workersDev };
}

/** The origin a deploy config serves (PUBLIC_ORIGIN, else its first route or workers.dev hostname). */
export function originOf(config: WranglerConfig): string | undefined {
  const publicOrigin = config.vars?.["PUBLIC_ORIGIN"];
  if (typeof publicOrigin === "string" && publicOrigin !== "") return publicOrigin;
  const hosts = varText(config.vars?.["ALLOWED_HOSTNAMES"])
    .split(",")
    .map((host) => host.trim())
    .filter((host) => host !== "");
  return hosts[0] === undefined ? undefined : `https://${hosts[0]}`;
}

/** What goes into a deploy config besides the app's wrangler.jsonc. */
export interface DeployInputs {
  name: string;
  address?: Address;
  /** Vars from `--var NAME=VALUE` (persisted: the file keeps them). */
  vars: Record<string, string>;
  kvIds: Record<string, string>;
  d1Ids: Record<string, string>;
}

/**
 * The deploy config: wrangler.jsonc with its dev block and dev-only flag dropped, paths made
 * relative to `dir`, and the previous deploy config's vars and ids kept unless replaced.
 */
export function buildDeployConfig(
  app: AppName,
  dir: string,
  previous: WranglerConfig | undefined,
  inputs: DeployInputs,
): WranglerConfig {
  const base = baseConfig(app);
  // The dev block (ports, inspector) is for `wrangler dev` only; $schema's path is relative to the app.
  const rest: Partial<WranglerConfig> = Object.fromEntries(
    Object.entries(base).filter(([key]) => key !== "dev" && key !== "$schema"),
  );
  const from = (path: string) => relative(dir, join(appDir(app), path)) || ".";
  const vars: Record<string, unknown> = Object.fromEntries(
    Object.entries({ ...base.vars, ...previous?.vars, ...inputs.vars }).filter(([name]) => name !== DEV_ONLY_FLAG),
  );
  const config: WranglerConfig = {
    ...rest,
    name: inputs.name,
    ...(base.main === undefined ? {} : { main: from(base.main) }),
    vars,
  };
  if (base.kv_namespaces !== undefined) {
    config.kv_namespaces = base.kv_namespaces.map((namespace) => ({
      ...namespace,
      id:
        inputs.kvIds[namespace.binding] ??
        previous?.kv_namespaces?.find((entry) => entry.binding === namespace.binding)?.id ??
        namespace.id,
    }));
  }
  if (base.d1_databases !== undefined) {
    config.d1_databases = base.d1_databases.map((database) => {
      const before = previous?.d1_databases?.find((entry) => entry.binding === database.binding);
      return {
        ...database,
        database_name: before?.database_name ?? database.database_name,
        database_id: inputs.d1Ids[database.binding] ?? before?.database_id ?? database.database_id,
        ...(database.migrations_dir === undefined ? {} : { migrations_dir: from(database.migrations_dir) }),
      };
    });
  }
  const address = inputs.address;
  if (address === undefined) {
    if (previous?.routes !== undefined) config.routes = previous.routes;
    if (previous?.workers_dev !== undefined) config.workers_dev = previous.workers_dev;
  } else if ("workersDev" in address) {
    config.workers_dev = true;
  } else {
    config.workers_dev = false;
    config.routes = [{ pattern: address.customDomain, custom_domain: true }];
  }
  if (address !== undefined) {
    const host = new URL(address.origin).host;
    if ("PUBLIC_ORIGIN" in vars) vars["PUBLIC_ORIGIN"] = address.origin;
    else if ("ALLOWED_HOSTNAMES" in vars) {
      const hosts = varText(vars["ALLOWED_HOSTNAMES"])
        .split(",")
        .map((entry) => entry.trim())
        .filter((entry) => entry !== "" && entry !== host);
      vars["ALLOWED_HOSTNAMES"] = [host, ...hosts].join(",");
    }
  }
  return config;
}

/** Writes the deploy config with a header saying what it is. */
export function writeDeployConfig(path: string, config: WranglerConfig): void {
  const header = [
    "// Written by `npm run deploy` from wrangler.jsonc: this account's ids, the production vars and",
    "// where the Worker is served. Git-ignored. Edit vars here (they persist; a rerun keeps them) and",
    `// deploy again with \`npm run deploy\` or \`wrangler deploy --config ${DEPLOY_CONFIG}\`.`,
  ];
  writeFileSync(path, `${header.join("\n")}\n${JSON.stringify(config, null, 2)}\n`);
}

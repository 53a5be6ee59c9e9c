// `pnpm dev`, before `wrangler dev`: refuses to start an app whose configuration its Worker would
// refuse, and lists every problem in the terminal instead of a "Ready" followed by 500s. Run from
// the app's folder (its package script), after ensure-dev-vars.ts.
//
// The env is the one `wrangler dev` gives the Worker, read by the app's own wrangler: the config's
// `vars` overlaid with `.dev.vars` (or `.env` files when there is none). It is parsed by the app's
// own `src/config.ts` `loadConfig` (app-config.ts), the schema the Worker uses, so the two cannot disagree.
//
//   node ../../scripts/check-dev-config.ts [--env-file <path>]…
//
// `--env-file` reads those files instead of `.dev.vars`, as `wrangler dev --env-file` does (tests).
// Exit 0: the configuration parses. Exit 1: it does not; the problems name variables, never values.
//
// It also checks what only dev has: every port `wrangler dev` binds is fixed in the app's
// `dev` block and differs from every other app's (four apps start at once under `pnpm dev`), and a
// loopback PUBLIC_ORIGIN names the app's own dev port (any other port is a 403 on every request).
import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, isAbsolute, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { MISSING_SECRET, configProblems } from "./app-config.ts";

/** The two functions of wrangler's API this script uses (wrangler 4: `unstable_` is their name). */
interface WranglerApi {
  unstable_readConfig(
    args: { config: string },
    options: { hideWarnings: boolean; useRedirectIfAvailable: boolean },
  ): {
    configPath?: string;
    userConfigPath?: string;
    vars: Record<string, unknown>;
    secrets?: unknown;
    dev: { port?: number; inspector_port?: number };
  };
  unstable_getVarsForDev(
    configPath: string | undefined,
    envFiles: string[] | undefined,
    vars: Record<string, unknown>,
    env: string | undefined,
    silent: boolean,
    secrets: unknown,
  ): Record<string, { value: unknown }>;
}

const REPO = resolve(import.meta.dirname, "..");
const shown = (path: string) => (relative(REPO, path).startsWith("..") ? path : relative(REPO, path));

/** The app's own wrangler, the one its `dev` script runs. */
async function wranglerOf(app: string): Promise<WranglerApi> {
  const entry = createRequire(join(app, "package.json")).resolve("wrangler");
  return (await import(pathToFileURL(entry).href)) as WranglerApi;
}

/** An app's wrangler config, read with the options `wrangler dev` uses (its warnings are dev's). */
function readConfig(wrangler: WranglerApi, app: string) {
  return wrangler.unstable_readConfig(
    { config: join(app, "wrangler.jsonc") },
    { hideWarnings: true, useRedirectIfAvailable: true },
  );
}

/** The env `wrangler dev` would give the app's Worker: config `vars` overlaid with `.dev.vars`. */
async function devEnv(app: string, envFiles: string[] | undefined): Promise<Record<string, unknown>> {
  const wrangler = await wranglerOf(app);
  const config = readConfig(wrangler, app);
  const bindings = wrangler.unstable_getVarsForDev(
    config.userConfigPath ?? config.configPath,
    envFiles,
    config.vars,
    undefined,
    true,
    config.secrets,
  );
  return Object.fromEntries(Object.entries(bindings).map(([name, binding]) => [name, binding.value]));
}

/** dev-idp's port under `pnpm dev` (packages/dev-idp). */
const DEV_IDP_PORT = 8791;

/**
 * What only dev has wrong: a port of the app's `dev` block unset or shared with another app (or
 * dev-idp), and a loopback PUBLIC_ORIGIN on another port than the app's own.
 */
async function devProblems(app: string, env: Record<string, unknown>): Promise<string[]> {
  const wrangler = await wranglerOf(app);
  const problems: string[] = [];
  const taken = new Map<number, string>([[DEV_IDP_PORT, "dev-idp's port"]]);
  const apps = join(app, "..");
  for (const other of readdirSync(apps).sort()) {
    if (other === basename(app) || !existsSync(join(apps, other, "wrangler.jsonc"))) continue;
    const { dev } = readConfig(wrangler, join(apps, other));
    if (dev.port !== undefined) taken.set(dev.port, `${other}'s dev.port`);
    if (dev.inspector_port !== undefined) taken.set(dev.inspector_port, `${other}'s dev.inspector_port`);
  }
  const { dev } = readConfig(wrangler, app);
  for (const [key, port] of [
    ["port", dev.port],
    ["inspector_port", dev.inspector_port],
  ] as const) {
    const holder = port === undefined ? undefined : taken.get(port);
    if (port === undefined) {
      problems.push(`wrangler.jsonc dev.${key}: not set: give it a port of its own (the root README's ports table)`);
    } else if (holder !== undefined) {
      problems.push(`wrangler.jsonc dev.${key}: ${port} is also ${holder}: give it a port of its own`);
    }
  }
  if (dev.port !== undefined && dev.inspector_port === dev.port) {
    problems.push(`wrangler.jsonc dev.inspector_port: ${dev.port} is also this app's dev.port`);
  }
  const publicOrigin = env["PUBLIC_ORIGIN"];
  const url = typeof publicOrigin === "string" && URL.canParse(publicOrigin) ? new URL(publicOrigin) : undefined;
  // Only a loopback origin must be the dev port itself; a tunnel's public name forwards to it.
  if (url !== undefined && dev.port !== undefined && ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname)) {
    const port = url.port === "" ? (url.protocol === "https:" ? 443 : 80) : Number(url.port);
    if (port !== dev.port) {
      problems.push(
        `PUBLIC_ORIGIN: port ${port} is not this app's dev port ${dev.port} (every request would be 403 ` +
          `"this server answers on … only"): set PUBLIC_ORIGIN="${url.protocol}//${url.hostname}:${dev.port}"`,
      );
    }
  }
  return problems;
}

/** A missing secret's problem says the dev fix first (a line in `files`), then the deploy one. */
function forDev(problem: string, files: string): string {
  const secret = MISSING_SECRET.exec(problem)?.[1];
  return secret === undefined
    ? problem
    : `${secret}: required: add ${secret}="…" to ${files} (deployed: \`wrangler secret put ${secret}\`)`;
}

const { values } = parseArgs({ options: { "env-file": { type: "string", multiple: true } } });
const app = process.cwd();
const envFiles = values["env-file"]?.map((file) => (isAbsolute(file) ? file : resolve(app, file)));
const env = await devEnv(app, envFiles);

const files = (envFiles ?? [join(app, ".dev.vars")]).map(shown).join(", ");
const problems = (await configProblems(app, env)).map((problem) => forDev(problem, files));
problems.push(...(await devProblems(app, env)));

if (problems.length > 0) {
  const noun = problems.length === 1 ? "problem" : "problems";
  console.error(
    [
      "",
      `✗ ${basename(app)} not started: its configuration has ${problems.length} ${noun}`,
      ...problems.map((problem) => `    ${problem}`),
      `  Fix ${files} (see ${shown(join(app, ".dev.vars.example"))} and the vars in ` +
        `${shown(join(app, "wrangler.jsonc"))}), then restart \`pnpm dev\`.`,
      "",
    ].join("\n"),
  );
  process.exitCode = 1;
}

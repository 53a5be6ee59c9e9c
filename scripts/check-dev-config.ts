// `pnpm dev`, before `wrangler dev`: refuses to start an app whose configuration its Worker would
// refuse, and lists every problem in the terminal instead of a "Ready" followed by 500s. Run from
// the app's folder (its package script), after ensure-dev-vars.ts.
//
// The env is the one `wrangler dev` gives the Worker, read by the app's own wrangler: the config's
// `vars` overlaid with `.dev.vars` (or `.env` files when there is none). It is parsed by the app's
// own `src/config.ts` `loadConfig`, the schema the Worker uses, so the two cannot disagree.
//
//   node ../../scripts/check-dev-config.ts [--env-file <path>]…
//
// `--env-file` reads those files instead of `.dev.vars`, as `wrangler dev --env-file` does (tests).
// Exit 0: the configuration parses. Exit 1: it does not; the problems name variables, never values.
import { createRequire } from "node:module";
import { basename, isAbsolute, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

/** The two functions of wrangler's API this script uses (wrangler 4: `unstable_` is their name). */
interface WranglerApi {
  unstable_readConfig(
    args: { config: string },
    options: { hideWarnings: boolean; useRedirectIfAvailable: boolean },
  ): { configPath?: string; userConfigPath?: string; vars: Record<string, unknown>; secrets?: unknown };
  unstable_getVarsForDev(
    configPath: string | undefined,
    envFiles: string[] | undefined,
    vars: Record<string, unknown>,
    env: string | undefined,
    silent: boolean,
    secrets: unknown,
  ): Record<string, { value: unknown }>;
}

/** What the app's `src/config.ts` exports, as far as this script relies on it. */
interface AppConfigModule {
  loadConfig: (env: Record<string, unknown>) => unknown;
}

const REPO = resolve(import.meta.dirname, "..");
const shown = (path: string) => (relative(REPO, path).startsWith("..") ? path : relative(REPO, path));

/** The env `wrangler dev` would give the app's Worker: config `vars` overlaid with `.dev.vars`. */
async function devEnv(app: string, envFiles: string[] | undefined): Promise<Record<string, unknown>> {
  // The app's own wrangler, the one its `dev` script runs.
  const entry = createRequire(join(app, "package.json")).resolve("wrangler");
  const wrangler = (await import(pathToFileURL(entry).href)) as WranglerApi;
  // The options `wrangler dev` reads its config with; warnings are wrangler dev's to print.
  const config = wrangler.unstable_readConfig(
    { config: join(app, "wrangler.jsonc") },
    { hideWarnings: true, useRedirectIfAvailable: true },
  );
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

const { values } = parseArgs({ options: { "env-file": { type: "string", multiple: true } } });
const app = process.cwd();
const envFiles = values["env-file"]?.map((file) => (isAbsolute(file) ? file : resolve(app, file)));
const env = await devEnv(app, envFiles);
const { loadConfig } = (await import(pathToFileURL(join(app, "src", "config.ts")).href)) as AppConfigModule;

try {
  loadConfig(env);
} catch (error) {
  // ConfigError (auth-common), recognised by name: this script does not import the app's packages.
  if (!(error instanceof Error) || error.name !== "ConfigError") throw error;
  const problems = "problems" in error && Array.isArray(error.problems) ? error.problems.map(String) : [error.message];
  const files = envFiles ?? [join(app, ".dev.vars")];
  const noun = problems.length === 1 ? "problem" : "problems";
  console.error(
    [
      "",
      `✗ ${basename(app)} not started: its configuration has ${problems.length} ${noun}`,
      ...problems.map((problem) => `    ${problem}`),
      `  Fix ${files.map(shown).join(", ")} (see ${shown(join(app, ".dev.vars.example"))} and the vars in ` +
        `${shown(join(app, "wrangler.jsonc"))}), then restart \`pnpm dev\`.`,
      "",
    ].join("\n"),
  );
  process.exitCode = 1;
}

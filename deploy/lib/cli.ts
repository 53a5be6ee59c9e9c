// `deploy <app>`: the command line. run.ts calls main() with the process's streams; the tests call
// it with their own (and a fake wrangler first on PATH).
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs, parseEnv } from "node:util";
import { APPS, type AppName, DEPLOY_CONFIG, type WranglerConfig, baseConfig, isApp, readJsonc } from "./apps.ts";
import { addressOf, buildDeployConfig, deployPaths, readDeployConfig } from "./deploy-config.ts";
import { type Problem, preflight, problemLines } from "./preflight.ts";
import type { smokeTest } from "./smoke.ts";

/** What the command reads and writes besides its arguments. */
export interface Io {
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
  err: (line: string) => void;
  /** Where deploy config and state are written: the app's folder unless a test says otherwise. */
  dir?: (app: AppName) => string;
  /** A question on the terminal (`hidden`: typed without echo); absent when there is no terminal. */
  ask?: (prompt: string, hidden: boolean) => Promise<string>;
  /** The live-URL check (lib/smoke.ts); the tests pass their own. */
  smoke?: typeof smokeTest;
  /** Runs `npm run users -- …` (full-oauth-provider's admin CLI) for the first admin. */
  users?: (args: string[]) => Promise<number>;
}

/** The command line, as `--help` and a usage error print it. */
export const USAGE = `usage: npm run deploy -- <app> [--check] [--config FILE] [--name WORKER]
         [--origin https://HOST | --workers-dev SUBDOMAIN] [--var NAME=VALUE]…
         [--generate-secrets] [--secrets-from FILE] [--admin-email EMAIL --admin-name NAME]
         [--no-smoke] [--yes] [--json]
       npm run deploy -- <app> --teardown [--yes] [--json]
apps: ${APPS.join(", ")}`;

/** A command-line mistake: exit 2 with the usage. */
export class UsageError extends Error {}

const OPTIONS = {
  check: { type: "boolean", default: false },
  config: { type: "string" },
  name: { type: "string" },
  origin: { type: "string" },
  "workers-dev": { type: "string" },
  var: { type: "string", multiple: true },
  "generate-secrets": { type: "boolean", default: false },
  "secrets-from": { type: "string" },
  "admin-email": { type: "string" },
  "admin-name": { type: "string" },
  "no-smoke": { type: "boolean", default: false },
  teardown: { type: "boolean", default: false },
  yes: { type: "boolean", short: "y", default: false },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

/** The parsed command line. */
export type Options = ReturnType<typeof parse>;

/** Parses and checks the command line; throws UsageError. */
export function parse(argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  const [app, ...extra] = positionals;
  if (values.help) return { app: undefined, values };
  if (app === undefined || !isApp(app)) {
    throw new UsageError(app === undefined ? "name the app to deploy" : `no app called ${app}`);
  }
  if (extra.length > 0) throw new UsageError(`unexpected ${extra.join(" ")}`);
  if (values.origin !== undefined && values["workers-dev"] !== undefined) {
    throw new UsageError("--origin or --workers-dev, not both");
  }
  if (values.origin !== undefined) {
    const url = URL.canParse(values.origin) ? new URL(values.origin) : undefined;
    if (url?.protocol !== "https:" || url.href !== `${url.origin}/`) {
      throw new UsageError(`--origin is an https origin such as https://mcp.example.com (no path)`);
    }
  }
  if (values["workers-dev"] !== undefined && !/^[a-z0-9-]+$/i.test(values["workers-dev"])) {
    throw new UsageError("--workers-dev is your account's workers.dev subdomain, e.g. my-team");
  }
  if (values.name !== undefined && !/^[a-z0-9-]{1,63}$/.test(values.name)) {
    throw new UsageError("--name is a Worker name: lowercase letters, digits and dashes");
  }
  for (const assignment of values.var ?? []) {
    if (!/^[A-Z][A-Z0-9_]*=/.test(assignment)) throw new UsageError(`--var ${assignment}: NAME=VALUE`);
  }
  if ((values["admin-email"] === undefined) !== (values["admin-name"] === undefined)) {
    throw new UsageError("--admin-email and --admin-name go together");
  }
  if (values["admin-email"] !== undefined && app !== "full-oauth-provider") {
    throw new UsageError("--admin-email is for full-oauth-provider (the only app with its own users)");
  }
  if (values.teardown && values.check) throw new UsageError("--teardown or --check, not both");
  return { app, values };
}

/** The `--var` assignments as an object. */
export const varsOf = (assignments: readonly string[] = []) =>
  Object.fromEntries(
    assignments.map((assignment) => [
      assignment.slice(0, assignment.indexOf("=")),
      assignment.slice(assignment.indexOf("=") + 1),
    ]),
  );

/** Secret values from `--secrets-from` (dotenv), never printed. */
export function secretsFromFile(path: string | undefined, cwd: string): Map<string, string> {
  if (path === undefined) return new Map();
  const file = resolve(cwd, path);
  if (!existsSync(file)) throw new UsageError(`--secrets-from ${path}: no such file`);
  const entries = Object.entries(parseEnv(readFileSync(file, "utf8")));
  return new Map(entries.filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ""));
}

/** The config `--check` looks at: --config, the deploy config, else the one deploy would write now. */
export function configToCheck(
  app: AppName,
  values: Options["values"],
  dir: string,
  cwd: string,
): { config: WranglerConfig; shown: string } {
  if (values.config !== undefined) {
    const path = resolve(cwd, values.config);
    if (!existsSync(path)) throw new UsageError(`--config ${values.config}: no such file`);
    return { config: readJsonc(path) as WranglerConfig, shown: values.config };
  }
  const paths = deployPaths(app, dir);
  const existing = readDeployConfig(paths.config);
  if (
    existing !== undefined &&
    values.origin === undefined &&
    values["workers-dev"] === undefined &&
    values.var === undefined
  ) {
    return { config: existing, shown: `apps/${app}/${DEPLOY_CONFIG}` };
  }
  const name = values.name ?? existing?.name ?? baseConfig(app).name;
  const origin =
    values.origin ??
    (values["workers-dev"] === undefined ? undefined : `https://${name}.${values["workers-dev"]}.workers.dev`);
  const config = buildDeployConfig(app, dir, existing, {
    name,
    ...(origin === undefined ? {} : { address: addressOf(origin, name) }),
    vars: varsOf(values.var),
    kvIds: {},
    d1Ids: {},
  });
  return { config, shown: `the ${DEPLOY_CONFIG} deploy would write (none yet)` };
}

/** `deploy <app> --check`: preflight offline; exit 1 on any problem. */
export async function check(app: AppName, values: Options["values"], io: Io, dir: string): Promise<number> {
  // npm and pnpm run a root script in the root; a relative --config is the caller's (INIT_CWD).
  const { config, shown } = configToCheck(app, values, dir, io.env["INIT_CWD"] ?? process.cwd());
  const { problems, requiredSecrets } = await preflight(app, config, {
    secrets: secretsFromFile(values["secrets-from"], io.env["INIT_CWD"] ?? process.cwd()),
  });
  if (values.json) {
    io.out(JSON.stringify({ app, config: shown, ok: problems.length === 0, problems, requiredSecrets }));
  } else {
    report(io, app, shown, problems, requiredSecrets);
  }
  return problems.length === 0 ? 0 : 1;
}

/** Preflight's verdict in words. */
export function report(io: Io, app: AppName, shown: string, problems: Problem[], requiredSecrets: string[]) {
  if (problems.length > 0) {
    const noun = problems.length === 1 ? "problem" : "problems";
    io.err(`✗ ${app}: ${shown} has ${problems.length} ${noun}`);
    for (const line of problemLines(problems)) io.err(line);
  } else {
    io.out(`✓ ${app}: ${shown} passes preflight`);
  }
  if (requiredSecrets.length > 0) {
    io.out(
      `  secrets the Worker needs: ${requiredSecrets.join(", ")} (offline, not checked on the Worker: deploy asks \`wrangler secret list\`)`,
    );
  }
}

/** Runs the command; the exit code (0 done, 1 a problem, 2 usage). */
export async function main(argv: string[], io: Io): Promise<number> {
  let options;
  try {
    options = parse(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`deploy: ${error.message}\n${USAGE}`);
    return 2;
  }
  const { app, values } = options;
  if (app === undefined) {
    io.out(USAGE);
    return 0;
  }
  const dir = io.dir?.(app) ?? deployPaths(app).dir;
  try {
    if (values.check) return await check(app, values, io, dir);
    const { deploy, teardown } = await import("./steps.ts");
    return values.teardown ? await teardown(app, values, io, dir) : await deploy(app, values, io, dir);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`deploy: ${error.message}`);
    return 2;
  }
}

// The local stage a rehearsal runs on: apps under `wrangler dev` on free ports, each with its own
// state under one temporary directory (never the developer's .wrangler or a running `pnpm dev`),
// restarted in place when the operator changes their configuration, and the operator's CLIs
// (keys, users, proxy-grants, notes) run against that state exactly as the READMEs show them.
import {
  freePort,
  portIsFree,
  runToCompletion,
  startWranglerDev,
  wranglerEnv,
  type WranglerDev,
} from "@mcp-auth/dev-harness";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export const ROOT = join(import.meta.dirname, "..", "..");

export const APPS = ["no-auth", "token-validation", "oauth-proxy", "full-oauth-provider"] as const;
export type AppName = (typeof APPS)[number];

/** The notes admin secret each app gets in a rehearsal (rehearsal-only values, never deployed). */
export const ADMIN_SECRET: Record<AppName, string> = {
  "no-auth": "rehearse-only-notes-admin-secret-no-auth-000000",
  "token-validation": "rehearse-only-notes-admin-secret-token-validation",
  "oauth-proxy": "rehearse-only-notes-admin-secret-oauth-proxy-0000",
  "full-oauth-provider": "rehearse-only-notes-admin-secret-full-oauth-provid",
};

/** The D1 migrations an app needs applied before it starts. */
const PREPARE: Partial<Record<AppName, string[][]>> = {
  "token-validation": [["d1", "migrations", "apply", "KEYS_DB", "--local"]],
  "full-oauth-provider": [["d1", "migrations", "apply", "DB", "--local"]],
};

/** One app as the rehearsal runs it. */
export interface App {
  name: AppName;
  port: number;
  origin: string;
  stateDir: string;
  vars: Record<string, string>;
  dev: WranglerDev;
}

/** The apps of one rehearsal and the directory their state lives in. */
export class Stage {
  readonly dir: string;
  private readonly running = new Set<App>();

  /** `dir`: where the apps' state goes (created; removed by close()); a fresh temporary one by default. */
  constructor(dir?: string) {
    if (dir !== undefined) mkdirSync(dir, { recursive: true });
    this.dir = dir ?? mkdtempSync(join(tmpdir(), "mcp-auth-rehearse-"));
  }

  /** Starts `name` with `vars` (plus its admin secret) on `port` (a free one when omitted), with fresh state. */
  async start(name: AppName, vars: Record<string, string>, port?: number): Promise<App> {
    const stateDir = join(this.dir, name);
    mkdirSync(stateDir, { recursive: true });
    return this.launch(name, vars, port ?? (await freePort()), stateDir, PREPARE[name] ?? []);
  }

  /** Stops `app` and starts it again with new `vars` on `port` (its own by default) and the same state: a redeploy. */
  async restart(app: App, vars: Record<string, string>, port = app.port): Promise<App> {
    await this.stop(app);
    return this.launch(app.name, vars, port, app.stateDir, []);
  }

  async stop(app: App): Promise<void> {
    this.running.delete(app);
    await app.dev.stop();
    // The next start on this port checks it is free; give the kernel a moment to release it.
    for (let tries = 0; tries < 50 && !(await portIsFree(app.port)); tries++) await sleep(100);
  }

  /** Stops every app and removes the state directory. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.running].map((app) => app.dev.stop()));
    this.running.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async launch(
    name: AppName,
    vars: Record<string, string>,
    port: number,
    stateDir: string,
    prepare: string[][],
  ): Promise<App> {
    const all = { ...vars, NOTES_ADMIN_SECRET: ADMIN_SECRET[name] };
    const dev = await startWranglerDev({
      cwd: join(ROOT, "apps", name),
      vars: all,
      port,
      stateDir,
      prepare,
      startTimeoutMs: 240_000,
    });
    const app: App = { name, port, origin: `http://localhost:${String(port)}`, stateDir, vars, dev };
    this.running.add(app);
    return app;
  }
}

/** The result of an operator command: its parsed `--json` output. */
export type CliOutput = Record<string, unknown> | Record<string, unknown>[];

/** A failed operator command: its exit code and what it printed. */
export class CommandFailed extends Error {
  readonly code: number | null;
  readonly output: string;
  constructor(what: string, code: number | null, output: string) {
    super(`${what} failed (exit ${String(code)}): ${lastLines(output)}`);
    this.code = code;
    this.output = output;
  }
}

function lastLines(text: string): string {
  return text.trim().split("\n").slice(-4).join(" / ");
}

/**
 * Runs an app's admin CLI (`apps/<app>/scripts/<script>`) against the app's local state, with
 * `--json`; its parsed output. `shown` is the command as the README prints it, for the narration.
 */
export async function appCli(
  app: App,
  script: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<CliOutput> {
  const result = await runToCompletion(
    process.execPath,
    [join(ROOT, "apps", app.name, "scripts", script), ...args, "--json", "--persist-to", app.stateDir],
    { cwd: join(ROOT, "apps", app.name), env: wranglerEnv(env) },
  );
  if (result.code !== 0) throw new CommandFailed(`${script} ${args[0] ?? ""}`, result.code, result.tail);
  return JSON.parse(result.stdout) as CliOutput;
}

/** Runs `scripts/notes.ts` (the notes admin CLI) with `args` and `--json`; its parsed output. */
export async function notesCli(args: string[], env: Record<string, string>): Promise<CliOutput> {
  const result = await runToCompletion(process.execPath, [join(ROOT, "scripts", "notes.ts"), ...args, "--json"], {
    cwd: ROOT,
    env: { ...process.env, ...env },
  });
  if (result.code !== 0)
    throw new CommandFailed(`notes ${args[0] ?? ""}`, result.code, `${result.stdout}\n${result.tail}`);
  return JSON.parse(result.stdout) as CliOutput;
}

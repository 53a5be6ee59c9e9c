// wrangler, the only way deploy touches an account: the one first on PATH (so a test's fake, or a
// global install, wins), else the app's own.
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { type AppName, appDir } from "./apps.ts";

/** A wrangler command that failed: its words and the end of what it printed (no secret is ever an argument). */
export class WranglerError extends Error {
  readonly command: string;
  readonly output: string;
  constructor(command: string, output: string) {
    super(`\`${command}\` failed`);
    this.name = "WranglerError";
    this.command = command;
    this.output = output;
  }
}

/** The wrangler executable: the first on `env.PATH`, else the app's node_modules/.bin one. */
export function wranglerBinary(app: AppName, env: NodeJS.ProcessEnv): string {
  for (const dir of (env["PATH"] ?? "").split(delimiter)) {
    if (dir === "") continue;
    try {
      accessSync(join(dir, "wrangler"), constants.X_OK);
      return join(dir, "wrangler");
    } catch {
      // not here
    }
  }
  return join(appDir(app), "node_modules", ".bin", "wrangler");
}

/** Runs wrangler; resolves with its output, rejects with WranglerError on a non-zero exit. */
export type Wrangler = (args: string[], options?: { input?: string; allowFailure?: boolean }) => Promise<WranglerRun>;

/** What a wrangler command printed. */
export interface WranglerRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A wrangler runner for `app`, in `cwd`, with `env` (a secret goes in as `input`, on stdin only). */
export function wranglerFor(app: AppName, cwd: string, env: NodeJS.ProcessEnv): Wrangler {
  const binary = wranglerBinary(app, env);
  return (args, options = {}) =>
    new Promise((resolve, reject) => {
      const child = spawn(binary, args, { cwd, env, stdio: ["pipe", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
      child.on("error", (error) => {
        reject(new WranglerError(`wrangler ${args.join(" ")}`, error.message));
      });
      child.on("close", (code) => {
        const run = { code: code ?? 1, stdout, stderr };
        if (run.code !== 0 && options.allowFailure !== true) {
          const tail = `${stdout}\n${stderr}`.trim().split("\n").slice(-8).join("\n");
          reject(new WranglerError(`wrangler ${args.join(" ")}`, tail));
        } else resolve(run);
      });
      child.stdin.end(options.input ?? "");
    });
}

/** A list command's JSON output; a WranglerError (not a crash) when it printed something else. */
export function jsonOf<T>(run: WranglerRun, command: string): T[] {
  try {
    const parsed: unknown = JSON.parse(run.stdout);
    if (Array.isArray(parsed)) return parsed as T[];
  } catch {
    // reported below
  }
  throw new WranglerError(command, `printed no JSON list:\n${run.stdout.trim().split("\n").slice(0, 8).join("\n")}`);
}

// Runs SQL against the app's KEYS_DB through wrangler: the local dev database (the same file a
// running `pnpm dev` uses, so changes apply without a restart) or, with --remote, the deployed one.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export const APP_DIR = join(import.meta.dirname, "..");

/** Where the database is: local (optionally another state directory) or the deployed one. */
export interface D1Target {
  remote: boolean;
  persistTo?: string | undefined;
}

/** SQL string literal. Every value is validated before it gets here; this is the second fence. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** Runs one SQL command and returns its result rows. */
export function d1(target: D1Target, sql: string): Record<string, unknown>[] {
  const wrangler = join(
    dirname(createRequire(join(APP_DIR, "package.json")).resolve("wrangler/package.json")),
    "bin",
    "wrangler.js",
  );
  const args = [
    wrangler,
    "d1",
    "execute",
    "KEYS_DB",
    target.remote ? "--remote" : "--local",
    "--json",
    "--command",
    sql,
  ];
  if (!target.remote && target.persistTo !== undefined) args.push("--persist-to", target.persistTo);
  const run = () =>
    spawnSync(process.execPath, args, {
      cwd: APP_DIR,
      encoding: "utf8",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    });
  let result = run();
  // Two CLI runs on one local database can meet SQLite's write lock: wait, then try again.
  for (
    let attempt = 1;
    attempt <= 5 && result.status !== 0 && `${result.stdout}${result.stderr}`.includes("SQLITE_BUSY");
    attempt++
  ) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250 * attempt);
    result = run();
  }
  if (result.status !== 0) {
    throw new Error(`wrangler d1 execute failed:\n${result.stderr || result.stdout}`);
  }
  const parsed = JSON.parse(result.stdout) as { results?: Record<string, unknown>[] }[];
  return parsed.flatMap((statement) => statement.results ?? []);
}

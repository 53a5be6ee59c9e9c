// Starts an app under `wrangler dev` (real workerd, local Durable Objects/KV/D1) for end-to-end
// tests, the benchmark and local drivers; stops it by process group.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { freePort, portIsFree, runToCompletion, spawnGroup, type GroupProcess } from "./process.ts";

/** A running `wrangler dev`. */
export interface WranglerDev {
  /** Origin, e.g. `http://127.0.0.1:40123`. */
  origin: string;
  port: number;
  /** The `--persist-to` directory (local D1/KV/DO state), for CLIs that work on the same data. */
  stateDir: string;
  /** The last lines wrangler printed, for diagnosing a failure after start. */
  output(): string;
  /** Stops the process group; removes the state directory when it was a fresh one. */
  stop(): Promise<void>;
}

export interface WranglerDevOptions {
  /** The app directory (holding its wrangler config and a package.json with wrangler installed). */
  cwd: string;
  /** `--config`, relative to `cwd`; wrangler's default (`wrangler.jsonc`) when omitted. */
  config?: string;
  /** Port to listen on (127.0.0.1). A {@link freePort} when omitted. */
  port?: number;
  /** `--var NAME:VALUE` overrides of the config's vars. */
  vars?: Record<string, string>;
  /** Extra environment for wrangler (and so for the Worker's `.dev.vars`-style settings). */
  env?: Record<string, string>;
  /**
   * The `--persist-to` directory. When omitted, a fresh temporary one (so runs never see each
   * other's notes) that `stop()` removes; a given one is left in place.
   */
  stateDir?: string;
  /**
   * wrangler commands to run against the same state first, e.g.
   * `["d1", "migrations", "apply", "KEYS_DB", "--local"]` (`--config` and `--persist-to` are added).
   */
  prepare?: string[][];
  /** How long to wait for the first HTTP answer. Default 120 s: a busy 2-core CI machine. */
  startTimeoutMs?: number;
}

/**
 * `wrangler dev` (or a `prepare` command) did not come up. The message carries the reason and the
 * tail of wrangler's output, so a red run says why without digging for logs.
 */
export class WranglerStartError extends Error {
  override readonly name = "WranglerStartError";
  /** What was started, e.g. `wrangler dev in no-auth on port 40123`. */
  readonly what: string;
  /** Why it is considered failed: an exit code, a timeout with the last connection error, a taken port. */
  readonly reason: string;
  /** The last lines wrangler printed ("" when it printed nothing). */
  readonly outputTail: string;
  constructor(what: string, reason: string, outputTail: string) {
    super(
      `${what} did not start: ${reason}\n` +
        `--- last lines of wrangler's output ---\n${outputTail === "" ? "(nothing printed)" : outputTail}\n---`,
    );
    this.what = what;
    this.reason = reason;
    this.outputTail = outputTail;
  }
}

/** The app's own wrangler (its package.json exports only `./package.json`, so resolve that). */
export function wranglerBin(cwd: string): string {
  const pkg = createRequire(join(cwd, "package.json")).resolve("wrangler/package.json");
  return join(dirname(pkg), "bin", "wrangler.js");
}

let registry: string | undefined;
/**
 * One dev registry for the wranglers this process starts, apart from the user's: a `pnpm dev`
 * running beside a test run keeps its registry entries, and our instances never see its Workers.
 */
function privateRegistry(): string {
  if (registry === undefined) {
    const dir = mkdtempSync(join(tmpdir(), "mcp-auth-registry-"));
    mkdirSync(join(dir, "logs"));
    process.on("exit", () => {
      rmSync(dir, { recursive: true, force: true });
    });
    registry = dir;
  }
  return registry;
}

/** The environment every wrangler this harness runs gets: quiet, non-interactive, own registry. */
export function wranglerEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const dir = privateRegistry();
  return {
    ...process.env,
    WRANGLER_REGISTRY_PATH: dir,
    WRANGLER_LOG_PATH: join(dir, "logs"),
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_SEND_ERROR_REPORTS: "false",
    WRANGLER_HIDE_BANNER: "true",
    WRANGLER_NO_SKILLS_UPDATE_PROMPTS: "true",
    CI: "true",
    NO_COLOR: "1",
    FORCE_COLOR: "0",
    ...extra,
  };
}

/** Runs one wrangler command in `cwd` to its end: exit code, stdout and the output's tail. */
export function runWrangler(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; tail: string }> {
  return runToCompletion(process.execPath, [wranglerBin(cwd), ...args], { cwd, env: wranglerEnv(env) });
}

/** Resolves once `origin` answers HTTP at all; rejects with the reason otherwise. */
async function waitForHttp(origin: string, wrangler: GroupProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    const code = wrangler.exitCode();
    if (code !== undefined) throw new Error(`wrangler exited with code ${String(code)} before answering`);
    try {
      const response = await fetch(`${origin}/`, { signal: AbortSignal.timeout(2000) });
      await response.body?.cancel();
      return;
    } catch (error) {
      last = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : "?";
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  throw new Error(`no HTTP answer from ${origin} within ${timeoutMs / 1000} s (last attempt: ${last})`);
}

/**
 * Starts `wrangler dev` for an app on a given or free loopback port, runs `prepare` against its
 * state first, and resolves once the Worker answers HTTP. Throws {@link WranglerStartError}.
 */
export async function startWranglerDev(options: WranglerDevOptions): Promise<WranglerDev> {
  const what = `wrangler dev in ${basename(options.cwd)}${options.config === undefined ? "" : ` (${options.config})`}`;
  // A given port someone else holds would make the readiness check talk to the wrong server.
  if (options.port !== undefined && !(await portIsFree(options.port))) {
    throw new WranglerStartError(what, `port ${options.port} on 127.0.0.1 is already in use`, "");
  }
  const fresh = options.stateDir === undefined;
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), "mcp-auth-state-"));
  const removeState = () => {
    if (fresh) rmSync(stateDir, { recursive: true, force: true });
    process.off("exit", removeState);
  };
  // A run that ends without stop() (an uncaught error, process.exit) leaves no state behind.
  process.on("exit", removeState);
  const config = options.config === undefined ? [] : ["--config", options.config];
  const env = options.env ?? {};
  for (const command of options.prepare ?? []) {
    const result = await runWrangler(options.cwd, [...command, ...config, "--persist-to", stateDir], env);
    if (result.code !== 0) {
      removeState();
      throw new WranglerStartError(
        what,
        `\`wrangler ${command.join(" ")}\` exited with code ${String(result.code)}`,
        result.tail,
      );
    }
  }
  const port = options.port ?? (await freePort());
  const vars = Object.entries(options.vars ?? {}).flatMap(([name, value]) => ["--var", `${name}:${value}`]);
  const args = [
    wranglerBin(options.cwd),
    "dev",
    ...config,
    ...["--ip", "127.0.0.1", "--port", String(port)],
    // workerd binds the inspector on a port of its own choosing: a port picked here first could be
    // taken by another process before wrangler binds it ("Address already in use").
    ...["--inspector-port", "0"],
    ...["--persist-to", stateDir],
    "--show-interactive-dev-session=false",
    // No per-request log line: it only adds noise (and cost, for the benchmark).
    ...["--log-level", "warn"],
    ...vars,
  ];
  const wrangler = spawnGroup(process.execPath, args, { cwd: options.cwd, env: wranglerEnv(env) });
  const origin = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await wrangler.stop();
    removeState();
  };
  try {
    await waitForHttp(origin, wrangler, options.startTimeoutMs ?? 120_000);
  } catch (error) {
    await stop();
    throw new WranglerStartError(`${what} on port ${port}`, (error as Error).message, wrangler.tail());
  }
  return { origin, port, stateDir, output: () => wrangler.tail(), stop };
}

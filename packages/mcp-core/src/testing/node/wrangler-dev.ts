// Node-only: starts an app under `wrangler dev` (real workerd, local Durable Objects/KV/D1)
// for end-to-end tests. Kept off the `./testing` entry so workerd bundles never see it.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** A running `wrangler dev`. */
export interface WranglerDev {
  /** Origin, e.g. `http://127.0.0.1:40123`. */
  origin: string;
  /** The `--persist-to` directory (local D1/KV/DO state), for CLIs that work on the same data. */
  stateDir: string;
  /** Everything wrangler printed, for diagnosing a failed start. */
  output(): string;
  stop(): Promise<void>;
}

export interface WranglerDevOptions {
  /** The app directory (holding wrangler.jsonc and package.json with wrangler installed). */
  cwd: string;
  /** Extra `--var NAME:VALUE` overrides. */
  vars?: Record<string, string>;
  /** How long to wait for the first answer. */
  startTimeoutMs?: number;
  /**
   * wrangler commands to run against the same fresh state first, e.g.
   * `["d1", "migrations", "apply", "KEYS_DB", "--local"]` (`--persist-to` is added).
   */
  prepare?: string[][];
  /** Extra environment for wrangler (and so for the Worker's `.dev.vars`-style settings). */
  env?: Record<string, string>;
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.pid === undefined) {
      resolve();
      return;
    }
    child.once("exit", () => {
      resolve();
    });
    try {
      process.kill(-child.pid, "SIGTERM"); // the whole group: wrangler, esbuild, workerd
    } catch {
      resolve();
    }
    setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }, 5000).unref();
  });
}

/**
 * Starts `wrangler dev` for an app on a free loopback port with a fresh state directory (so runs
 * never see each other's notes), and resolves once the Worker answers HTTP.
 */
export async function startWranglerDev(options: WranglerDevOptions): Promise<WranglerDev> {
  const port = await freePort();
  const state = mkdtempSync(join(tmpdir(), "mcp-auth-state-"));
  // The app's own wrangler (its package.json exports only `./package.json`, so resolve that).
  const wranglerBin = join(
    dirname(createRequire(join(options.cwd, "package.json")).resolve("wrangler/package.json")),
    "bin",
    "wrangler.js",
  );
  const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true", ...options.env };
  for (const command of options.prepare ?? []) {
    const result = spawnSync(process.execPath, [wranglerBin, ...command, "--persist-to", state], {
      cwd: options.cwd,
      env,
      encoding: "utf8",
    });
    if (result.status !== 0) throw new Error(`wrangler ${command.join(" ")} failed:\n${result.stderr}${result.stdout}`);
  }
  const vars = Object.entries(options.vars ?? {}).flatMap(([name, value]) => ["--var", `${name}:${value}`]);
  const args = [wranglerBin, "dev", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", state];
  args.push("--inspector-port", String(await freePort()), "--log-level", "warn", ...vars);
  const child = spawn(process.execPath, args, {
    cwd: options.cwd,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env,
  });
  let output = "";
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);

  const origin = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await kill(child);
    rmSync(state, { recursive: true, force: true });
  };
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      await fetch(`${origin}/`, { signal: AbortSignal.timeout(2000) });
      return { origin, stateDir: state, output: () => output, stop };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  await stop();
  throw new Error(`wrangler dev did not start in ${options.cwd}:\n${output}`);
}

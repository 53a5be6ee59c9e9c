// Child processes in their own process group, so a whole tree (wrangler → node → workerd) stops
// at once; their output kept for the error message when something fails.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { stripVTControlCharacters } from "node:util";

/** How many trailing lines of a child's output an error message carries. */
export const TAIL_LINES = 60;

/** A child process running in its own process group. */
export interface GroupProcess {
  child: ChildProcess;
  /** Resolves with the exit code (`null` when killed by a signal, -1 when it could not start). */
  exited: Promise<number | null>;
  /** The exit code once it has exited; `undefined` while it runs. */
  exitCode(): number | null | undefined;
  /** The last {@link TAIL_LINES} non-empty lines of stdout and stderr, interleaved as they came. */
  tail(): string;
  /** Everything it printed on stdout (capped at 1 MB). */
  stdout(): string;
  /** SIGTERM to the whole group, SIGKILL after `graceMs`; resolves once the leader has exited. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<GroupProcess>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

// Whatever is still running when Node exits (a test run killed mid-way, an uncaught error) goes
// too: an orphaned workerd would keep its port and state directory.
process.on("exit", () => {
  for (const running of live) killGroup(running.child, "SIGKILL");
});

/** Runs `command args` in `cwd` in a new process group, keeping its output. */
export function spawnGroup(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): GroupProcess {
  const child = spawn(command, args, {
    cwd: options.cwd,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: options.env ?? process.env,
  });
  const lines: string[] = [];
  let stdout = "";
  let code: number | null | undefined;
  const keep = (chunk: Buffer) => {
    // Colour codes only garble an error message (some of wrangler's output ignores NO_COLOR).
    const text = stripVTControlCharacters(chunk.toString());
    lines.push(...text.split("\n").filter((line) => line.trim() !== ""));
    if (lines.length > TAIL_LINES) lines.splice(0, lines.length - TAIL_LINES);
  };
  child.stdout.on("data", (chunk: Buffer) => {
    if (stdout.length < 1_000_000) stdout += chunk.toString();
    keep(chunk);
  });
  child.stderr.on("data", keep);
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (exitCode) => {
      code = exitCode;
      resolve(exitCode);
    });
    child.once("error", (error) => {
      lines.push(`could not start ${command}: ${error.message}`);
      code = -1;
      resolve(-1);
    });
  });
  const running: GroupProcess = {
    child,
    exited,
    exitCode: () => code,
    tail: () => lines.join("\n"),
    stdout: () => stdout,
    stop: async (graceMs = 5_000) => {
      if (code === undefined) {
        killGroup(child, "SIGTERM");
        const timer = setTimeout(() => {
          killGroup(child, "SIGKILL");
        }, graceMs);
        await exited;
        clearTimeout(timer);
      }
      // Whatever the group leader left behind (workerd) goes too.
      killGroup(child, "SIGKILL");
      live.delete(running);
    },
  };
  live.add(running);
  return running;
}

/** Runs a command to its end (in its own group, cleaned up after); its exit code and output. */
export async function runToCompletion(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<{ code: number | null; stdout: string; tail: string }> {
  const running = spawnGroup(command, args, options);
  const code = await running.exited;
  await running.stop();
  return { code, stdout: running.stdout(), tail: running.tail() };
}

/** Stops every process group this module started that is still running. */
export async function stopAllGroups(): Promise<void> {
  await Promise.all([...live].map((running) => running.stop()));
}

/** Whether nothing listens on `port` at 127.0.0.1 (we could bind it). */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => {
      resolve(false);
    });
    server.listen(port, "127.0.0.1", () => {
      server.close(() => {
        resolve(true);
      });
    });
  });
}

/** Ports never handed out: the repo's dev and inspector ports and Node's default inspector. */
const RESERVED_PORTS = new Set([8787, 8788, 8789, 8790, 8791, 8799, 9229, 9287, 9288, 9289, 9290]);
const handedOut = new Set<number>();

/** freePort's ports start here: above the well-known and registered ports servers tend to use. */
const LOWEST_PORT = 20_000;

/**
 * The lowest port the kernel picks by itself, for a `listen(0)` and for the local end of every
 * outgoing connection: Linux's `ip_local_port_range` (32768 by default), 49152 on macOS.
 */
export function ephemeralLow(): number {
  try {
    const low = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > 0) return low;
  } catch {
    // Not Linux.
  }
  return 32_768;
}

/**
 * A free TCP port on loopback for a server that must know its port before it starts (a Worker
 * whose public origin names it), never one this process handed out before nor one of the repo's
 * dev ports (so a running `pnpm dev` is left alone). The port lies below the kernel's ephemeral
 * range: between this check and the server's bind, no `listen(0)` and no outgoing connection of
 * any process (workerd, Chromium, a fetch) can be given it. A server that does not need its port
 * first should bind port 0 instead.
 */
export async function freePort(): Promise<number> {
  const high = Math.min(ephemeralLow(), 32_768);
  // A machine whose ephemeral range starts low leaves what it leaves above the privileged ports.
  const low = high - LOWEST_PORT >= 1000 ? LOWEST_PORT : 1024;
  for (let attempt = 0; attempt < 500; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (RESERVED_PORTS.has(port) || handedOut.has(port)) continue;
    if (await portIsFree(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port on 127.0.0.1 between ${low} and ${high}`);
}

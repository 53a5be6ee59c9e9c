// Child processes in their own process group, so a whole tree (wrangler → node → workerd) stops
// at once; their output kept for the error message when something fails.
import { spawn, type ChildProcess } from "node:child_process";
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

/** Ports never handed out: the repo's dev ports and Node's default inspector. */
const RESERVED_PORTS = new Set([8787, 8788, 8789, 8790, 8791, 8799, 9229]);
const handedOut = new Set<number>();

/**
 * A free TCP port on loopback, never one this process handed out before nor one of the repo's dev
 * ports (so a running `pnpm dev` is left alone).
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const address = server.address();
        const found = typeof address === "object" && address !== null ? address.port : 0;
        server.close(() => {
          resolve(found);
        });
      });
    });
    if (port !== 0 && !RESERVED_PORTS.has(port) && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

// Client command lines exactly as a page prints them: run through a shell, or as an MCP stdio
// bridge that a test talks to, so a test checks what a person would paste.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { runToCompletion } from "./process.ts";

/**
 * npm's own words when the registry could not be reached or answered (a proxy's TLS hiccup, DNS,
 * a reset, a 5xx): the printed command was never tried, so a failure says nothing about it.
 */
const REGISTRY_UNREACHABLE =
  /npm error (?:code|errno) (?:SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_\w+|CERT_\w+|EAI_AGAIN|ENOTFOUND|ECONNRESET|ECONNREFUSED|ETIMEDOUT|E429|E5\d\d)\b/;

/** Whether a failed run's output says npm could not reach the registry (see {@link runCommandLine}). */
export function registryUnreachable(output: string): boolean {
  return REGISTRY_UNREACHABLE.test(output);
}

/**
 * Runs `line` with `sh -c` (in its own process group); its exit code, stdout and output tail.
 * A run that failed only because npm could not reach the registry (a printed `npx …` fetching its
 * package) is tried again, at most `attempts` times in all: that is the network, not the command.
 */
export async function runCommandLine(
  line: string,
  options: { cwd: string; env?: NodeJS.ProcessEnv; attempts?: number; pauseMs?: number },
): Promise<{ code: number | null; stdout: string; tail: string }> {
  const attempts = options.attempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    const run = await runToCompletion("sh", ["-c", line], options);
    if (run.code === 0 || attempt >= attempts || !registryUnreachable(run.tail)) return run;
    await registryPause(attempt, attempts, options.pauseMs);
  }
}

/** Says why a printed command runs again, then waits a little longer each time. */
async function registryPause(attempt: number, attempts: number, pauseMs = 10_000): Promise<void> {
  console.warn(`npm could not reach the registry (attempt ${attempt} of ${attempts}); trying again`);
  await new Promise((resolve) => setTimeout(resolve, pauseMs * attempt));
}

/**
 * Starts an MCP stdio server (`command args`, e.g. `npx -y mcp-remote@x <url>`), initializes it,
 * lists its tools and stops it. Resolves with the tool names; rejects with the bridge's stderr
 * tail when it exits early, answers with an error, or takes longer than `timeoutMs`.
 */
export async function listToolsOverStdio(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; attempts?: number; pauseMs?: number },
): Promise<string[]> {
  const attempts = options.attempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    try {
      return await listToolsOnce(command, args, options);
    } catch (error) {
      // A bridge started through npx that never ran because the registry was unreachable.
      if (attempt >= attempts || !(error instanceof Error) || !registryUnreachable(error.message)) throw error;
      await registryPause(attempt, attempts, options.pauseMs);
    }
  }
}

async function listToolsOnce(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<string[]> {
  const child = spawn(command, [...args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: ["pipe", "pipe", "pipe"],
  });
  // A bridge that exits early closes its stdin: the write that follows fails with EPIPE, which
  // must not become an uncaught error (the exit itself is reported below, with the stderr tail).
  child.stdin.on("error", () => undefined);
  const stderr: string[] = [];
  child.stderr.on("data", (chunk: Buffer) => {
    stderr.push(
      ...chunk
        .toString()
        .split("\n")
        .filter((line) => line.trim() !== ""),
    );
    if (stderr.length > 40) stderr.splice(0, stderr.length - 40);
  });
  const answers = new Map<number, (message: Record<string, unknown>) => void>();
  createInterface({ input: child.stdout }).on("line", (line) => {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return; // Not a JSON-RPC line (some bridges print banners on stdout).
    }
    if (typeof message["id"] === "number") answers.get(message["id"])?.(message);
  });
  const failed = new Promise<never>((_resolve, reject) => {
    const why = (what: string) => new Error(`${command} ${what}; its stderr ended with:\n${stderr.join("\n")}`);
    child.once("error", (error) => {
      reject(why(`could not start: ${error.message}`));
    });
    child.once("exit", (code) => {
      reject(why(`exited (${String(code)}) before answering`));
    });
    setTimeout(() => {
      reject(why(`did not answer within ${options.timeoutMs ?? 120_000} ms`));
    }, options.timeoutMs ?? 120_000).unref();
  });
  // Rejections after the answer (the bridge exiting when stopped) are expected, not unhandled.
  failed.catch(() => undefined);
  const request = async (id: number, method: string, params: Record<string, unknown> = {}) => {
    const answered = new Promise<Record<string, unknown>>((resolve) => answers.set(id, resolve));
    child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`);
    const message = await Promise.race([answered, failed]);
    if (message["error"] !== undefined) throw new Error(`${method} failed: ${JSON.stringify(message["error"])}`);
    return message["result"] as Record<string, unknown>;
  };
  try {
    await request(1, "initialize", {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "dev-harness", version: "1.0.0" },
    });
    child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n`);
    const result = await request(2, "tools/list");
    const tools = (result["tools"] ?? []) as { name: string }[];
    return tools.map((tool) => tool.name);
  } finally {
    child.stdin.end();
    if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
  }
}

/**
 * A shell line without its trailing ` # comment`: a `#` that starts a word outside single or
 * double quotes. Used by the README checks, which run the lines the READMEs print.
 */
export function withoutShellComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if (char === "#" && (i === 0 || /\s/.test(line[i - 1] ?? ""))) {
      return line.slice(0, i).trimEnd();
    }
  }
  return line.trimEnd();
}

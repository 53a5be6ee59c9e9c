// Runs the commands a learner runs (the repo's CLIs, git) from the repository root, with their
// output kept for a criterion's detail.
import { runToCompletion } from "@mcp-auth/dev-harness";
import { join } from "node:path";

/** The repository root. */
export const ROOT = join(import.meta.dirname, "..", "..");

/** What a finished command did. */
export interface CommandResult {
  code: number | null;
  stdout: string;
  /** The last lines of stdout and stderr, interleaved. */
  tail: string;
}

/** Runs `command args` in `cwd` (the root by default) to its end; never throws for a non-zero exit. */
export function runCommand(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CommandResult> {
  return runToCompletion(command, args, {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
  });
}

/** Runs a repo script (`node <root>/<script> args`) on this Node, as `npm run <name> -- args` does. */
export function runScript(
  script: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CommandResult> {
  return runCommand(process.execPath, [join(ROOT, script), ...args], options);
}

/** The last `count` non-empty lines of `text`, joined with " / ": short enough for one criterion line. */
export function lastLines(text: string, count = 3): string {
  return text
    .trim()
    .split("\n")
    .filter((line) => line.trim() !== "")
    .slice(-count)
    .join(" / ");
}

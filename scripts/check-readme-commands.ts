// Runs every fenced ```sh command of every README in a fresh copy of the tree, on a PATH with a
// Node 20 binary, npm, npx and basic shell tools but no pnpm (a machine with only Node and npm),
// and reports any command the shell could not find. Steps that need a Cloudflare account and
// third-party clients are skipped with a stated reason; `… dev` commands run until they print
// their ready lines; the whole suite, a package's tests and the benchmark run for a few seconds.
//
//   node scripts/check-readme-commands.ts        (its test: scripts/check-readme-commands.test.ts)
import { portIsFree, withoutShellComment } from "@mcp-auth/dev-harness";
import { spawn, spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, relative } from "node:path";
import { stripVTControlCharacters } from "node:util";

export const REPO_ROOT = join(import.meta.dirname, "..");

/** One command of a README: one logical line (continuations joined), comment removed. */
export interface ReadmeCommand {
  /** e.g. `apps/token-validation/README.md:21`. */
  where: string;
  command: string;
  /** The directory a preceding `cd` line of the same block moved to, relative to the root. */
  dir: string;
}

export type Plan =
  | { mode: "skip"; reason: string }
  | { mode: "run" }
  /** Long-running: started, stopped once every pattern has matched its output. */
  | { mode: "until-ready"; ready: RegExp[]; ports: number[] }
  /** Too long for this check: started, watched for `seconds`, stopped. */
  | { mode: "smoke"; seconds: number; reason: string };

/** The README files of the tree: the root's, every app's and package's, the benchmark's, types'. */
export function readmeFiles(root = REPO_ROOT): string[] {
  const files = ["README.md"];
  for (const group of ["apps", "packages"]) {
    for (const name of readdirSync(join(root, group)).sort()) files.push(`${group}/${name}/README.md`);
  }
  files.push("bench/README.md", "types/README.md");
  return files.filter((file) => existsSync(join(root, file)));
}

/** Every command in the ```sh blocks of `file` (relative to `root`), in order. */
export function commandsOf(file: string, root = REPO_ROOT): ReadmeCommand[] {
  const lines = readFileSync(join(root, file), "utf8").split("\n");
  const commands: ReadmeCommand[] = [];
  let inBlock = false;
  let dir = ".";
  let pending: { start: number; text: string } | undefined;
  lines.forEach((line, index) => {
    if (/^```/.test(line)) {
      inBlock = !inBlock && /^```(sh|bash|shell)\s*$/.test(line);
      dir = ".";
      return;
    }
    if (!inBlock) return;
    const continued = /\\$/.test(line);
    const text = continued ? line.slice(0, -1) : line;
    pending =
      pending === undefined
        ? { start: index + 1, text }
        : { start: pending.start, text: `${pending.text} ${text.trim()}` };
    if (continued) return;
    const command = withoutShellComment(pending.text).trim();
    const where = `${file}:${pending.start}`;
    pending = undefined;
    if (command === "") return;
    const cd = /^cd\s+(\S+)$/.exec(command);
    if (cd?.[1] !== undefined) dir = join(dir, cd[1]);
    commands.push({ where, command, dir });
  });
  return commands;
}

const CLOUDFLARE_ACCOUNT =
  /wrangler (login|deploy|secret put|kv namespace create|d1 create)\b|--remote\b|\brun deploy\b/;
const DEV_PORTS = [8787, 8788, 8789, 8790, 8791];

/** How the check treats a command, and why when it does not run it to its end. */
export function planFor(command: string): Plan {
  if (CLOUDFLARE_ACCOUNT.test(command)) return { mode: "skip", reason: "needs a Cloudflare account" };
  if (/^claude\s/.test(command)) return { mode: "skip", reason: "a third-party client (Claude Code)" };
  if (/^npx (-y )?@modelcontextprotocol\/inspector\b/.test(command)) {
    return {
      mode: "skip",
      reason: "a third-party client (MCP Inspector, fetched at run time) that needs the app running",
    };
  }
  if (/pnpm@[\d.]+ dev$/.test(command)) {
    return {
      mode: "until-ready",
      ready: [
        /Ready on http:\/\/\S+:8787/,
        /Ready on http:\/\/\S+:8788/,
        /Ready on http:\/\/\S+:8789/,
        /Ready on http:\/\/\S+:8790/,
        /issuer\s+http/,
      ],
      ports: DEV_PORTS,
    };
  }
  if (/--filter @mcp-auth\/dev-idp dev$/.test(command)) {
    const port = /DEV_IDP_PORT=(\d+)/.exec(command)?.[1];
    return { mode: "until-ready", ready: [/issuer\s+http/], ports: [Number(port ?? 8791)] };
  }
  if (/pnpm@[\d.]+ test$/.test(command)) {
    return { mode: "smoke", seconds: 10, reason: "the whole suite (13 min), which runs this check: its first steps" };
  }
  if (/ test:unit$/.test(command)) return { mode: "smoke", seconds: 10, reason: "the unit-test step runs it in full" };
  if (/^npm run bench\b/.test(command)) return { mode: "smoke", seconds: 10, reason: "minutes of load" };
  return { mode: "run" };
}

/** Why the output says the shell (or Node 20) could not run something; undefined when it did. */
export function notFoundIn(code: number | null, output: string): string | undefined {
  // bash: "x: command not found"; dash (npm's script shell): "sh: 1: x: not found"; a missing script path.
  const line = /^.*(command not found|\bsh: (line )?\d+: \S+: (not found|No such file or directory)).*$/m.exec(
    output,
  )?.[0];
  if (line !== undefined) return line.trim();
  if (/ERR_UNKNOWN_FILE_EXTENSION|ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING/.test(output)) {
    return "Node 20 was asked to run a .ts file";
  }
  if (code === 127) return "exit code 127 (command not found)";
  return undefined;
}

/** A Node 20 binary on PATH outside any node_modules; throws when there is none. */
export function findNode20(path = process.env.PATH ?? ""): string {
  for (const dir of path.split(delimiter)) {
    if (dir === "" || dir.includes("node_modules")) continue;
    const node = join(dir, "node");
    if (!existsSync(node)) continue;
    const version = spawnSync(node, ["--version"], { encoding: "utf8" }).stdout.trim();
    if (version.startsWith("v20.")) return node;
  }
  throw new Error(
    "no Node 20 binary on PATH outside node_modules (the check needs one to stand for a Node-only machine)",
  );
}

const BASIC_TOOLS = [
  "bash",
  "sh",
  "env",
  "cat",
  "ls",
  "mkdir",
  "rm",
  "cp",
  "mv",
  "ln",
  "chmod",
  "sed",
  "grep",
  "head",
  "tail",
  "tr",
  "dirname",
  "basename",
  "uname",
  "readlink",
  "sort",
  "find",
  "xargs",
  "git",
  "id",
  "printf",
  "sleep",
];

/** A bin directory with node (20), npm and npx beside it, and basic shell tools: no pnpm, no curl. */
export function node20Bin(into: string): string {
  const node = findNode20();
  const bin = join(into, "bin");
  mkdirSync(bin, { recursive: true });
  symlinkSync(node, join(bin, "node"));
  for (const tool of ["npm", "npx"]) {
    const beside = join(dirname(node), tool);
    if (!existsSync(beside)) throw new Error(`no ${tool} beside ${node}`);
    symlinkSync(beside, join(bin, tool));
  }
  for (const tool of BASIC_TOOLS) {
    const found = spawnSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
    if (found.startsWith("/") && !found.includes("node_modules")) symlinkSync(found, join(bin, tool));
  }
  return bin;
}

/** A fresh copy of the tree as git sees it (tracked and new files, nothing ignored): a clone of the working tree. */
export function freshCopy(into: string, root = REPO_ROOT): string {
  const listed = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: root,
    encoding: "utf8",
  });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  const copy = join(into, "clone");
  for (const file of listed.stdout.split("\0")) {
    if (file === "" || !existsSync(join(root, file))) continue;
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    copyFileSync(join(root, file), join(copy, file));
  }
  return copy;
}

export interface Outcome {
  where: string;
  command: string;
  /** `ran`, `ready`, `watched` or `skipped`. */
  result: string;
  code: number | null;
  seconds: number;
  /** Set when the shell could not find something: the check fails. */
  notFound?: string;
  reason?: string;
  /** The last lines of the output, for the report (never needed to pass). */
  tail: string;
}

/** The environment of a command: only the Node 20 bin directory on PATH, the user's home, quiet tools. */
function commandEnv(bin: string, vars: Record<string, string>): NodeJS.ProcessEnv {
  const keep = ["HOME", "USER", "LANG", "TMPDIR", "TERM"];
  const env: NodeJS.ProcessEnv = {
    PATH: bin,
    CI: "true",
    WRANGLER_SEND_METRICS: "false",
    TURBO_TELEMETRY_DISABLED: "1",
  };
  for (const name of keep) if (process.env[name] !== undefined) env[name] = process.env[name];
  return { ...env, ...vars };
}

/** Runs `bash -c line` in its own process group until it exits, `until` says stop, or `timeoutMs`. */
function runShell(
  line: string,
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number; until?: (output: string) => boolean },
): Promise<{ code: number | null; output: string; stdout: string; stopped: boolean }> {
  return new Promise((resolve) => {
    const child = spawn("bash", ["-c", line], { cwd: options.cwd, env: options.env, detached: true });
    let output = "";
    let stdout = "";
    let stopped = false;
    const stop = () => {
      stopped = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGTERM");
      } catch {
        // Already gone.
      }
      setTimeout(() => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
        } catch {
          // Already gone.
        }
      }, 5_000).unref();
    };
    const timer = setTimeout(stop, options.timeoutMs);
    const take = (chunk: Buffer, isStdout: boolean) => {
      const text = chunk.toString();
      output += text;
      if (isStdout) stdout += text;
      if (!stopped && options.until?.(output) === true) stop();
    };
    child.stdout.on("data", (chunk: Buffer) => {
      take(chunk, true);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      take(chunk, false);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output, stdout, stopped });
    });
  });
}

const tailOf = (output: string) =>
  stripVTControlCharacters(output)
    .split("\n")
    .filter((line) => line.trim() !== "")
    .slice(-8)
    .join("\n");

/** State carried from one command to the next: shell variables set by `NAME=$(…)` and the last key id. */
export interface CheckState {
  copy: string;
  bin: string;
  vars: Record<string, string>;
  keyId?: string;
}

/** Prepares the fresh copy and the Node 20 PATH under a new temporary directory. */
export function prepare(): CheckState & { cleanup: () => void } {
  const base = mkdtempSync(join(tmpdir(), "readme-commands-"));
  const bin = node20Bin(base);
  const copy = freshCopy(base);
  return {
    copy,
    bin,
    vars: {},
    cleanup: () => {
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/** Runs one README command in the fresh copy and says what happened. */
export async function check(entry: ReadmeCommand, state: CheckState): Promise<Outcome> {
  const started = Date.now();
  const plan = planFor(entry.command);
  const outcome = (rest: Omit<Outcome, "where" | "command" | "seconds">): Outcome => ({
    where: entry.where,
    command: entry.command,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    ...rest,
  });
  if (plan.mode === "skip") return outcome({ result: "skipped", code: null, reason: plan.reason, tail: "" });
  if (/^cd\s/.test(entry.command)) return outcome({ result: "ran", code: 0, tail: "" });
  // Placeholders: the id of the key an earlier `keys create` printed.
  let command = entry.command.replaceAll("key_3fj9a0c2kq", state.keyId ?? "key_3fj9a0c2kq");
  const placeholder = /<[^>]+>/.exec(command)?.[0];
  if (placeholder !== undefined) {
    return outcome({ result: "ran", code: null, notFound: `unfilled placeholder ${placeholder}`, tail: "" });
  }
  if (plan.mode === "until-ready") {
    for (const port of plan.ports) {
      if (!(await portIsFree(port))) {
        return outcome({
          result: "skipped",
          code: null,
          reason: `port ${port} is in use on this machine (a dev server runs)`,
          tail: "",
        });
      }
    }
  }
  const assignment = /^([A-Z_][A-Z0-9_]*)=\$\((.+)\)$/.exec(command);
  if (assignment?.[2] !== undefined) command = assignment[2];
  const cwd = join(state.copy, entry.dir);
  const env = commandEnv(state.bin, state.vars);
  const result = await runShell(command, {
    cwd,
    env,
    timeoutMs: plan.mode === "smoke" ? plan.seconds * 1000 : plan.mode === "until-ready" ? 240_000 : 90_000,
    ...(plan.mode === "until-ready"
      ? { until: (output: string) => plan.ready.every((ready) => ready.test(output)) }
      : {}),
  });
  if (assignment?.[1] !== undefined) state.vars[assignment[1]] = result.stdout.trim();
  const created = /created (key_[a-z0-9]{10})/.exec(result.output)?.[1];
  if (created !== undefined) state.keyId = created;
  const notFound = notFoundIn(result.stopped ? null : result.code, result.output);
  const ready = plan.mode === "until-ready" && plan.ready.every((pattern) => pattern.test(result.output));
  const base = { code: result.code, tail: tailOf(result.output), ...(notFound === undefined ? {} : { notFound }) };
  if (plan.mode === "smoke") return outcome({ result: "watched", reason: plan.reason, ...base });
  if (plan.mode === "until-ready") {
    return outcome({ result: ready ? "ready" : "not ready", ...base });
  }
  return outcome({ result: "ran", ...base });
}

/** Every README command of the tree, in file order. */
export function allCommands(root = REPO_ROOT): ReadmeCommand[] {
  return readmeFiles(root).flatMap((file) => commandsOf(file, root));
}

/** One line per outcome for the report. */
export function describeOutcome(outcome: Outcome): string {
  const status =
    outcome.result === "skipped"
      ? `skipped: ${outcome.reason ?? ""}`
      : `${outcome.result}${outcome.code === null ? "" : `, exit ${outcome.code}`}, ${outcome.seconds} s${outcome.notFound === undefined ? "" : ` — NOT FOUND: ${outcome.notFound}`}`;
  return `${outcome.where}  ${outcome.command}\n    ${status}`;
}

if (process.argv[1] !== undefined && relative(process.argv[1], import.meta.filename) === "") {
  const state = prepare();
  let failed = 0;
  try {
    for (const entry of allCommands()) {
      const outcome = await check(entry, state);
      console.log(describeOutcome(outcome));
      if (outcome.notFound !== undefined) failed += 1;
    }
  } finally {
    state.cleanup();
  }
  console.log(failed === 0 ? "every README command was found" : `${failed} README command(s) not found`);
  process.exitCode = failed === 0 ? 0 : 1;
}

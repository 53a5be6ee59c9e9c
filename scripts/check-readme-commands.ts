// Runs every fenced ```sh command of every README in a fresh copy of the tree, on a PATH with a
// Node 20 binary, npm, npx and basic shell tools but no pnpm (a machine with only Node and npm),
// and reports any command the shell could not find. Steps that need a Cloudflare account and
// third-party clients are skipped with a stated reason; `… dev` commands run until they print
// their ready lines (`pnpm dev` is started README_DEV_STARTS times, 3 by default, and every app
// must come up every time); the whole suite, a package's tests, the benchmark, `compare` and `rehearse` run for
// a few seconds.
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
import { DEV_READY, devProgress } from "./dev-progress.ts";

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
  /**
   * Long-running: started `starts` times, each stopped once every app's pattern has matched the
   * output or the app has failed. `ready` maps an app's name to the line that says it is up.
   */
  | { mode: "until-ready"; ready: Readonly<Record<string, RegExp>>; ports: number[]; starts: number }
  /** Too long for this check: started, watched for `seconds`, stopped. */
  | { mode: "smoke"; seconds: number; reason: string };

/** The README files of the tree: the root's, every app's and package's, the benchmark's, types'. */
export function readmeFiles(root = REPO_ROOT): string[] {
  const files = ["README.md"];
  for (const group of ["apps", "packages"]) {
    for (const name of readdirSync(join(root, group)).sort()) files.push(`${group}/${name}/README.md`);
  }
  files.push("bench/README.md", "compare/README.md", "rehearse/README.md", "deploy/README.md", "types/README.md");
  // The workshop's agenda and each exercise's steps (`workshop/NN-slug/README.md`).
  files.push("workshop/README.md");
  if (existsSync(join(root, "workshop"))) {
    for (const name of readdirSync(join(root, "workshop")).sort()) {
      if (/^\d\d-/.test(name)) files.push(`workshop/${name}/README.md`);
    }
  }
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
/** Every port `pnpm dev` binds: the apps' HTTP ports, dev-idp's, the apps' inspector ports. */
const DEV_PORTS = [8787, 8788, 8789, 8790, 8791, 9287, 9288, 9289, 9290];
/** How many times `pnpm dev` is started: a race between its apps shows in some starts only. */
const DEV_STARTS = Number(process.env["README_DEV_STARTS"] ?? 3);

/** How the check treats a command, and why when it does not run it to its end. */
export function planFor(command: string): Plan {
  // deploy's preflight runs offline (and is what CI runs for every app); every other deploy step
  // creates, sets or deletes something on an account.
  const offlineDeployCheck = /\brun deploy\b.*--check\b/.test(command) && !/--remote\b/.test(command);
  if (CLOUDFLARE_ACCOUNT.test(command) && !offlineDeployCheck)
    return { mode: "skip", reason: "needs a Cloudflare account" };
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
      ready: DEV_READY,
      ports: DEV_PORTS,
      starts: DEV_STARTS,
    };
  }
  if (/--filter @mcp-auth\/dev-idp dev$/.test(command)) {
    const port = /DEV_IDP_PORT=(\d+)/.exec(command)?.[1];
    return { mode: "until-ready", ready: { "dev-idp": /issuer\s+http/ }, ports: [Number(port ?? 8791)], starts: 1 };
  }
  if (/pnpm@[\d.]+ test$/.test(command)) {
    return { mode: "smoke", seconds: 10, reason: "the whole suite (13 min), which runs this check: its first steps" };
  }
  if (/ test:unit$/.test(command)) return { mode: "smoke", seconds: 10, reason: "the unit-test step runs it in full" };
  if (/^npm run bench\b/.test(command)) return { mode: "smoke", seconds: 10, reason: "minutes of load" };
  if (/(^npm run|pnpm@[\d.]+) compare\b/.test(command)) {
    return {
      mode: "smoke",
      seconds: 10,
      reason: "minutes: every app started and measured (its e2e test runs --quick in full)",
    };
  }
  if (/(^npm run|pnpm@[\d.]+) rehearse\b/.test(command) && !/--list\b/.test(command)) {
    return {
      mode: "smoke",
      seconds: 10,
      reason: "minutes: apps started, clients migrated (its e2e test runs every path --quick in full)",
    };
  }
  if (/(^npm run|pnpm@[\d.]+) workshop (check|solve)\b/.test(command) && !/--show\b/.test(command)) {
    return {
      mode: "smoke",
      seconds: 10,
      reason:
        "minutes: a check or solution starts apps or runs compare/rehearse (workshop's e2e test runs every exercise's start, check, solve and reset in full)",
    };
  }
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
  /** Set when an app of a `dev` command did not come up in one of its starts: the check fails. */
  notReady?: string;
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

/** Waits until every port is free (the previous start's processes have gone), at most `ms`. */
async function portsFreed(ports: number[], ms: number): Promise<number | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    let busy: number | undefined;
    for (const port of ports) if (!(await portIsFree(port))) busy = port;
    if (busy === undefined || Date.now() > deadline) return busy;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
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
        // Not a skip: a check that could not run must not pass. Stop the dev server and run again.
        return outcome({
          result: "ran",
          code: null,
          notReady: `port ${port} is in use on this machine (stop the running dev server and run the check again)`,
          tail: "",
        });
      }
    }
  }
  const assignment = /^([A-Z_][A-Z0-9_]*)=\$\((.+)\)$/.exec(command);
  if (assignment?.[2] !== undefined) command = assignment[2];
  const cwd = join(state.copy, entry.dir);
  const env = commandEnv(state.bin, state.vars);
  if (plan.mode === "until-ready") return outcome(await startsOf(command, plan, cwd, env));
  const result = await runShell(command, {
    cwd,
    env,
    timeoutMs: plan.mode === "smoke" ? plan.seconds * 1000 : 90_000,
  });
  if (assignment?.[1] !== undefined) state.vars[assignment[1]] = result.stdout.trim();
  const created = /created (key_[a-z0-9]{10})/.exec(result.output)?.[1];
  if (created !== undefined) state.keyId = created;
  const notFound = notFoundIn(result.stopped ? null : result.code, result.output);
  const base = { code: result.code, tail: tailOf(result.output), ...(notFound === undefined ? {} : { notFound }) };
  if (plan.mode === "smoke") return outcome({ result: "watched", reason: plan.reason, ...base });
  return outcome({ result: "ran", ...base });
}

/**
 * Starts a `dev` command `plan.starts` times (the first as written; later ones only its last
 * `&&` step, the install having run), each until every app is up or has failed; says which app
 * did not come up in which start, with its error line.
 */
async function startsOf(
  command: string,
  plan: Extract<Plan, { mode: "until-ready" }>,
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<Omit<Outcome, "where" | "command" | "seconds">> {
  const problems: string[] = [];
  let last = { code: null as number | null, output: "" };
  for (let start = 1; start <= plan.starts; start++) {
    const line = start === 1 ? command : (command.split(" && ").at(-1) ?? command);
    const busy = await portsFreed(plan.ports, 30_000);
    if (busy !== undefined) {
      problems.push(`start ${start}: port ${busy} still in use 30 s after the previous start stopped`);
      break;
    }
    const result = await runShell(line, {
      cwd,
      env,
      timeoutMs: 240_000,
      until: (output: string) => devProgress(plan.ready, output).settled,
    });
    last = result;
    const notFound = notFoundIn(result.stopped ? null : result.code, result.output);
    if (notFound !== undefined) return { result: "ran", code: result.code, notFound, tail: tailOf(result.output) };
    const { up, failed } = devProgress(plan.ready, result.output);
    for (const app of Object.keys(plan.ready).filter((name) => !up.includes(name))) {
      problems.push(
        `start ${start} of ${plan.starts}: ${app} did not come up: ${failed.get(app) ?? "no ready line within 240 s"}`,
      );
    }
  }
  const tail = tailOf(last.output);
  return problems.length === 0
    ? { result: `ready ${plan.starts}/${plan.starts}`, code: last.code, tail }
    : { result: "not ready", code: last.code, notReady: problems.join("; "), tail };
}

/** Every README command of the tree, in file order. */
export function allCommands(root = REPO_ROOT): ReadmeCommand[] {
  return readmeFiles(root).flatMap((file) => commandsOf(file, root));
}

/** One test of the README check: its command, and why it is not run when it is not. */
export interface ReadmeTest {
  /** `where: command` (every place that prints it), plus why when it is skipped. */
  name: string;
  entry: ReadmeCommand;
  /** Set when the plan does not run the command: the test is reported as skipped with this reason, never as passed. */
  skip?: string;
}

/**
 * The tests of `entries`, one per distinct command (the same text in the same directory), in
 * README order: a command printed again is checked once, and its test names every place that
 * prints it. Skipped, with the reason: a command the plan does not run (a Cloudflare account, a
 * third-party client).
 */
export function readmeTests(entries: readonly ReadmeCommand[]): ReadmeTest[] {
  const places = new Map<string, { entry: ReadmeCommand; wheres: string[] }>();
  for (const entry of entries) {
    const key = `${entry.dir} ${entry.command}`;
    const seen = places.get(key);
    if (seen === undefined) places.set(key, { entry, wheres: [entry.where] });
    else seen.wheres.push(entry.where);
  }
  return [...places.values()].map(({ entry, wheres }) => {
    const plan = planFor(entry.command);
    const name = `${wheres.join(", ")}: ${entry.command}`;
    return plan.mode === "skip"
      ? { name: `${name} (skipped: ${plan.reason})`, entry, skip: plan.reason }
      : { name, entry };
  });
}

/** One line per outcome for the report. */
export function describeOutcome(outcome: Outcome): string {
  const status =
    outcome.result === "skipped"
      ? `skipped: ${outcome.reason ?? ""}`
      : `${outcome.result}${outcome.code === null ? "" : `, exit ${outcome.code}`}, ${outcome.seconds} s${outcome.notFound === undefined ? "" : ` — NOT FOUND: ${outcome.notFound}`}${outcome.notReady === undefined ? "" : ` — NOT READY: ${outcome.notReady}`}`;
  return `${outcome.where}  ${outcome.command}\n    ${status}`;
}

if (process.argv[1] !== undefined && relative(process.argv[1], import.meta.filename) === "") {
  const state = prepare();
  let failed = 0;
  try {
    for (const test of readmeTests(allCommands())) {
      if (test.skip !== undefined) {
        console.log(test.name);
        continue;
      }
      const outcome = await check(test.entry, state);
      console.log(describeOutcome(outcome));
      if (outcome.notFound !== undefined || outcome.notReady !== undefined) failed += 1;
    }
  } finally {
    state.cleanup();
  }
  console.log(failed === 0 ? "every README command was found" : `${failed} README command(s) not found or not ready`);
  process.exitCode = failed === 0 ? 0 : 1;
}

// `workshop`: exercises on the local stack that check themselves.
//
//   npx -y pnpm@10.34.9 workshop list                  every exercise: id, minutes, title, status
//   npx -y pnpm@10.34.9 workshop start NN              puts the exercise's starting point in place
//   npx -y pnpm@10.34.9 workshop check NN              one line per criterion; exit 0 all pass, 1 any fails
//   npx -y pnpm@10.34.9 workshop reset NN [--yes]      the exercise's files back to HEAD, its state removed
//   npx -y pnpm@10.34.9 workshop solve NN [--show]     applies the reference solution (--show: prints it)
//   npx -y pnpm@10.34.9 workshop call URL TOOL [JSON]  one MCP tool call (MCP_BEARER: the credential)
//
// Exit codes: 0 done (check: every criterion holds); 1 a criterion failed or a step could not be
// done; 2 usage (an unknown exercise, reset without --yes and no terminal to ask).
import { existsSync, rmSync } from "node:fs";
import { relative } from "node:path";
import { parseArgs } from "node:util";
import { callTool } from "./lib/client.ts";
import { confirm } from "./lib/confirm.ts";
import type { Exercise } from "./lib/exercise.ts";
import { contextFor, loadExercises, stateDirOf } from "./lib/exercises.ts";
import { changedUnder, restoreFromHead, untrackedUnder } from "./lib/git.ts";
import { ROOT } from "./lib/command.ts";

const USAGE = `usage: npx -y pnpm@10.34.9 workshop <list|start|check|reset|solve|call> [NN] [options]
  list                  the exercises
  start NN              put exercise NN's starting point in place
  check NN              check exercise NN (exit 0: all pass, 1: something to do)
  reset NN [--yes]      restore exercise NN's files from HEAD and remove its state
  solve NN [--show]     apply the reference solution (--show: only print it)
  call URL TOOL [JSON]  call one MCP tool at URL (env MCP_BEARER: a key or token to send)`;

class UsageError extends Error {}

function exerciseNamed(exercises: Exercise[], id: string | undefined): Exercise {
  const found = exercises.find((exercise) => exercise.id === id || `${exercise.id}-${exercise.slug}` === id);
  if (found !== undefined) return found;
  const list = exercises.map((exercise) => `  ${exercise.id}  ${exercise.title}`).join("\n");
  throw new UsageError(
    `${id === undefined ? "name an exercise" : `no exercise ${id}`}; the exercises are:\n${list || "  (none yet)"}`,
  );
}

/** "changed" when its files differ from HEAD, "state" when it has local state, else "-". */
async function statusOf(exercise: Exercise): Promise<string> {
  const parts: string[] = [];
  const changed = await changedUnder(ROOT, exercise.files);
  // Ignored files the exercise writes (an answers file) count as work in progress too.
  if (changed.length > 0 || (await untrackedUnder(ROOT, exercise.files)).length > 0) parts.push("changed");
  if (existsSync(stateDirOf(exercise.id))) parts.push("state");
  return parts.length === 0 ? "-" : parts.join(", ");
}

async function list(exercises: Exercise[]): Promise<number> {
  for (const exercise of exercises) {
    const status = await statusOf(exercise);
    console.log(
      `${exercise.id}  ${`${exercise.minutes} min`.padEnd(7)}  ${exercise.title.padEnd(38)}  ${status}   workshop/${exercise.id}-${exercise.slug}/README.md`,
    );
  }
  return 0;
}

async function check(exercise: Exercise): Promise<number> {
  const criteria = await exercise.check(contextFor(exercise));
  for (const criterion of criteria) console.log(`${criterion.ok ? "✓" : "✗"} ${criterion.name} — ${criterion.detail}`);
  const failed = criteria.filter((criterion) => !criterion.ok).length;
  console.log(
    failed === 0
      ? `exercise ${exercise.id}: all ${criteria.length} checks pass`
      : `exercise ${exercise.id}: ${failed} of ${criteria.length} checks fail (hints: workshop/${exercise.id}-${exercise.slug}/README.md)`,
  );
  return failed === 0 && criteria.length > 0 ? 0 : 1;
}

async function reset(exercise: Exercise, yes: boolean): Promise<number> {
  const changed = await changedUnder(ROOT, exercise.files);
  const created = await untrackedUnder(ROOT, exercise.files);
  const state = stateDirOf(exercise.id);
  const lines = [
    ...new Set([
      ...changed.map((line) => `  restore/remove ${line.slice(3)}`),
      ...created.map((file) => `  remove ${file}`),
    ]),
    ...(existsSync(state) ? [`  remove ${relative(ROOT, state)}/ (the exercise's local state)`] : []),
  ];
  if (lines.length === 0) {
    console.log(`exercise ${exercise.id}: nothing to reset (its files are as in HEAD, no local state)`);
    return 0;
  }
  console.log(`reset of exercise ${exercise.id}:\n${lines.join("\n")}`);
  if (!yes) {
    const answer = await confirm("Reset these?");
    if (answer === undefined) {
      console.error("not a terminal: nothing reset. Run it again with --yes to reset without asking.");
      return 2;
    }
    if (!answer) {
      console.log("nothing reset");
      return 1;
    }
  }
  await restoreFromHead(ROOT, exercise.files);
  rmSync(state, { recursive: true, force: true });
  console.log(`exercise ${exercise.id}: reset (files as in HEAD, state removed)`);
  return 0;
}

async function call(positionals: string[]): Promise<number> {
  const [url, tool, json] = positionals;
  if (url === undefined || tool === undefined)
    throw new UsageError("call needs a URL and a tool, e.g. call http://localhost:8787/mcp whoami");
  let args: unknown;
  try {
    args = JSON.parse(json ?? "{}");
  } catch {
    throw new UsageError(`the tool's arguments must be a JSON object, e.g. '{"text":"hello"}'`);
  }
  if (typeof args !== "object" || args === null || Array.isArray(args)) {
    throw new UsageError(`the tool's arguments must be a JSON object, e.g. '{"text":"hello"}'`);
  }
  const bearer = process.env["MCP_BEARER"]?.trim();
  const outcome = await callTool(url, tool, args as Record<string, unknown>, bearer ? { bearer } : {});
  if (!outcome.ok) {
    console.error(`call failed: ${outcome.error}`);
    return 1;
  }
  console.log(outcome.text || JSON.stringify(outcome.result, null, 2));
  return outcome.result.isError === true ? 1 : 0;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { yes: { type: "boolean", default: false }, show: { type: "boolean", default: false } },
  });
  const [command, id] = positionals;
  if (command === "call") return call(positionals.slice(1));
  const exercises = await loadExercises();
  switch (command) {
    case "list":
      return list(exercises);
    case "start": {
      const exercise = exerciseNamed(exercises, id);
      if (exercise.start === undefined)
        console.log(`exercise ${exercise.id} starts from the tree as it is: nothing to put in place`);
      else {
        await exercise.start(contextFor(exercise));
        console.log(`exercise ${exercise.id}: started (read workshop/${exercise.id}-${exercise.slug}/README.md)`);
      }
      return 0;
    }
    case "check":
      return check(exerciseNamed(exercises, id));
    case "reset":
      return reset(exerciseNamed(exercises, id), values.yes);
    case "solve": {
      const exercise = exerciseNamed(exercises, id);
      if (values.show) {
        console.log(await exercise.showSolution(contextFor(exercise)));
        return 0;
      }
      await exercise.solve(contextFor(exercise));
      console.log(`exercise ${exercise.id}: reference solution applied (workshop check ${exercise.id} to see it pass)`);
      return 0;
    }
    default:
      throw new UsageError(command === undefined ? "name a command" : `unknown command ${command}`);
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    process.exitCode = 2;
  } else {
    console.error(`workshop: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}

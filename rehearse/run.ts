// `rehearse <from> <to>`: one migration between two patterns, run end to end on a local stage
// (fresh state in a temporary directory, apps on free ports, dev-idp as the upstream), with real
// SDK clients playing the old and new clients. Prints numbered steps as it performs them and ends
// with a verdict table.
//
//   npx -y pnpm@10.34.9 rehearse --list
//   npx -y pnpm@10.34.9 rehearse no-auth token-validation [--quick] [--pause] [--json]
//
// --quick   two clients (SDK v1, SDK v2) instead of three, one note each: what CI runs
// --pause   waits for Enter between steps (workshops)
// --json    the machine-readable record on stdout (the narration goes to stderr)
// Exit: 0 every check passed · 1 a check failed or a step stopped · 2 usage (an unknown pair).
import { enableCompileCache } from "node:module";
import { parseArgs } from "node:util";

enableCompileCache();
const { PATHS, findPath, insteadOf } = await import("./lib/paths.ts");
const { Narrator } = await import("./lib/record.ts");
const { Run, RehearsalStopped, SABOTAGES, printVerdicts } = await import("./lib/rehearsal.ts");

const USAGE = `usage: rehearse <from> <to> [--quick] [--pause] [--json]
       rehearse --list`;

function listing(): string[] {
  return [
    "Migration paths rehearse covers (in the order teams usually take them):",
    ...PATHS.map((path) => `  rehearse ${path.from} ${path.to}`.padEnd(52) + `  ${path.why}`),
  ];
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        list: { type: "boolean", default: false },
        quick: { type: "boolean", default: false },
        pause: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
        // For the rehearsal's own tests: a fault it must notice (see lib/rehearsal.ts).
        sabotage: { type: "string" },
      },
    });
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    process.exit(2);
  }
}

const { values, positionals } = parse(process.argv.slice(2));
if (values.help) {
  process.stdout.write(`${USAGE}\n\n${listing().join("\n")}\n`);
  process.exit(0);
}
if (values.list) {
  process.stdout.write(`${listing().join("\n")}\n`);
  process.exit(0);
}
const [from, to, ...extra] = positionals;
if (from === undefined || to === undefined || extra.length > 0) {
  process.stderr.write(`${USAGE}\n\n${listing().join("\n")}\n`);
  process.exit(2);
}
const path = findPath(from, to);
if (path === undefined) {
  process.stderr.write(
    `rehearse: ${from} → ${to} is not a rehearsed path. ${insteadOf(from, to)}\n\n${listing().join("\n")}\n`,
  );
  process.exit(2);
}
const sabotage = values.sabotage;
if (sabotage !== undefined && !(SABOTAGES as readonly string[]).includes(sabotage)) {
  process.stderr.write(`rehearse: --sabotage is one of ${SABOTAGES.join(", ")}\n`);
  process.exit(2);
}

/** The narration: stdout, or stderr when stdout carries the JSON record. */
const out = (line: string) => (values.json ? process.stderr : process.stdout).write(`${line}\n`);
const narrator = new Narrator({ from, to }, values.quick, { out, pause: values.pause });
const run = new Run(narrator, {
  quick: values.quick,
  ...(sabotage === undefined ? {} : { sabotage: sabotage as (typeof SABOTAGES)[number] }),
});
out(`rehearse ${from} → ${to}: ${path.why}${values.quick ? " (--quick)" : ""}`);
out(`state: a temporary directory, removed at the end; apps on free ports; nothing deployed`);

let record;
try {
  record = run.conclude(await path.run(run));
} catch (error) {
  record = narrator.record;
  record.ok = false;
  record.error =
    error instanceof RehearsalStopped
      ? error.message
      : error instanceof Error
        ? (error.stack ?? error.message)
        : String(error);
  // The checks made before the stop still count (a refused mapping that changed nothing).
  record.verdicts = run.tooling.length > 0 ? [run.toolingVerdict()] : [];
} finally {
  narrator.close();
  await run.stage.close();
}
record.finishedAt = new Date().toISOString();
printVerdicts(out, record);
if (values.json) process.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
process.exit(record.ok ? 0 : 1);

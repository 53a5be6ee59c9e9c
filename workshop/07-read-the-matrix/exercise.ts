// Exercise 07: run `compare`, read three measured answers off its report; the check compares them
// with that run's own results.json, so they cannot come from memory or from someone else's run.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { lastLines, runCommand } from "../lib/command.ts";
import type { Criterion, Exercise, WorkshopContext } from "../lib/exercise.ts";

const DIR = "workshop/07-read-the-matrix";
const ANSWERS = `${DIR}/answers.json`;
/** The two columns the questions are about: an open app and one that checks an API key on every call. */
const COLUMNS = ["no-auth", "tv-api-key"];
/** Where the README's run writes its report (inside the exercise's state: reset removes it). */
const REPORT_DIR = "workshop/.state/07/report";
/** compare's default output, read when the learner ran it without --out. */
const DEFAULT_REPORT_DIR = "compare-report";
const RUN = `npx -y pnpm@10.34.9 compare --quick --only ${COLUMNS.join(",")} --out ${REPORT_DIR}`;

/** The parts of compare's results.json (schema mcp-auth-compare/1, compare/lib/results.ts) the questions read. */
interface Results {
  schema: string;
  startedAt: string;
  columns: { id: string }[];
  cells: Record<string, Record<string, { kind: string; value?: string }>>;
  throughput: { column: string; reqPerSec: number }[];
  revocations: { column: string; ms: number | null }[];
}

/** The three answers, as the run says they should be. */
interface Expected {
  revokedKeyWorkedMs: number | null;
  authCostReqPerSec: number;
  /** Either column when both took the same milliseconds. */
  fasterColdStart: string[];
}

/** The newest report the learner may have made: the README's (--out), else compare's default. */
function findReport(root: string): { file: string; results: Results } | { why: string } {
  for (const dir of [REPORT_DIR, DEFAULT_REPORT_DIR]) {
    const file = join(root, dir, "results.json");
    if (!existsSync(file)) continue;
    try {
      const results = JSON.parse(readFileSync(file, "utf8")) as Results;
      if (results.schema !== "mcp-auth-compare/1")
        return {
          why: `${relative(root, file)} is not a compare report this exercise reads (schema ${JSON.stringify(results.schema)})`,
        };
      const missing = COLUMNS.filter((id) => !results.columns.some((column) => column.id === id));
      if (missing.length > 0)
        return { why: `${relative(root, file)} has no column ${missing.join(", ")}: run \`${RUN}\`` };
      return { file: relative(root, file), results };
    } catch (error) {
      return { why: `${relative(root, file)} is not JSON (${(error as Error).message}): run \`${RUN}\` again` };
    }
  }
  return { why: `no compare report (${REPORT_DIR}/results.json): run \`${RUN}\` (step 1)` };
}

/** A cell's leading number ("104 ms" → 104), or undefined when it is not measured. */
function numberIn(results: Results, row: string, column: string): number | undefined {
  const cell = results.cells[row]?.[column];
  const match = cell?.kind === "measured" ? /^(\d+(?:\.\d+)?)/.exec(cell.value ?? "") : null;
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** What the run says the answers are, or why it cannot answer a question (a scenario not measured). */
function expectedOf(results: Results): { expected: Expected } | { why: string } {
  const revocation = results.revocations.find((entry) => entry.column === "tv-api-key");
  const [open, keyed] = COLUMNS.map((column) => results.throughput.find((entry) => entry.column === column));
  const colds = COLUMNS.map((column) => numberIn(results, "cold-start", column));
  if (revocation === undefined) return { why: "the run has no revocation of tv-api-key: run it again" };
  if (open === undefined || keyed === undefined)
    return { why: "the run did not measure both columns' throughput: run it again" };
  const [openCold, keyedCold] = colds;
  if (openCold === undefined || keyedCold === undefined)
    return { why: "the run did not measure both columns' first request: run it again" };
  return {
    expected: {
      revokedKeyWorkedMs: revocation.ms === null ? null : Math.round(revocation.ms),
      authCostReqPerSec: Math.round(open.reqPerSec) - Math.round(keyed.reqPerSec),
      fasterColdStart: openCold === keyedCold ? [...COLUMNS] : [openCold < keyedCold ? "no-auth" : "tv-api-key"],
    },
  };
}

function readAnswers(root: string): { answers: Record<string, unknown> } | { why: string } {
  const file = join(root, ANSWERS);
  if (!existsSync(file))
    return { why: `${ANSWERS} does not exist: create it from the template in the README (step 3)` };
  try {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as unknown;
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      return { why: `${ANSWERS} must be one JSON object: copy the README's template` };
    return { answers: parsed as Record<string, unknown> };
  } catch (error) {
    return { why: `${ANSWERS} is not JSON (${(error as Error).message}): copy the README's template` };
  }
}

/** Whether `given` is within `tolerance` of `wanted` (the report prints rounded numbers). */
function near(given: unknown, wanted: number, tolerance: number): boolean {
  return typeof given === "number" && Math.abs(given - wanted) <= tolerance;
}

/** The criteria, in the order check prints them. */
const NAMES = {
  answers: "answers file",
  run: "a compare run to read",
  q1: "Q1 revoked key kept working",
  q2: "Q2 what the key check costs",
  q3: "Q3 faster first request",
};

async function check(ctx: WorkshopContext): Promise<Criterion[]> {
  const names = NAMES;
  const read = readAnswers(ctx.root);
  const report = findReport(ctx.root);
  const criteria: Criterion[] = [
    "why" in read
      ? { name: names.answers, ok: false, detail: read.why }
      : { name: names.answers, ok: true, detail: `${ANSWERS} read` },
  ];
  const judged = "why" in report ? report : expectedOf(report.results);
  criteria.push(
    "why" in judged
      ? { name: names.run, ok: false, detail: judged.why }
      : {
          name: names.run,
          ok: true,
          detail: `${(report as { file: string }).file}, the run started at ${(report as { results: Results }).results.startedAt}`,
        },
  );
  if ("why" in read || "why" in judged) {
    for (const name of [names.q1, names.q2, names.q3])
      criteria.push({ name, ok: false, detail: `needs ${"why" in read ? "the answers file" : "a compare run"}` });
    return criteria;
  }
  const { answers } = read;
  const { expected } = judged;
  const thisRun = "in the run the check reads (did you run compare again after answering?)";
  const q1 = answers["revokedKeyWorkedMs"];
  criteria.push(
    expected.revokedKeyWorkedMs === null
      ? q1 === null
        ? { name: names.q1, ok: true, detail: "null: the key was still accepted at the end of the wait" }
        : {
            name: names.q1,
            ok: false,
            detail: `"revokedKeyWorkedMs" should be null: in this run the revoked key was still accepted when the scenario stopped waiting`,
          }
      : near(q1, expected.revokedKeyWorkedMs, 1)
        ? { name: names.q1, ok: true, detail: `${String(q1)} ms, as the revocation row says` }
        : {
            name: names.q1,
            ok: false,
            detail: `"revokedKeyWorkedMs" is ${JSON.stringify(q1)}, not the milliseconds of the tv-api-key cell in the "revocation" row ${thisRun}`,
          },
  );
  const q2 = answers["authCostReqPerSec"];
  criteria.push(
    near(q2, expected.authCostReqPerSec, 1)
      ? { name: names.q2, ok: true, detail: `${String(q2)} req/s: no-auth's req/s minus tv-api-key's` }
      : {
          name: names.q2,
          ok: false,
          detail: `"authCostReqPerSec" is ${JSON.stringify(q2)}, not no-auth's req/s minus tv-api-key's in the "throughput" row ${thisRun} (a whole number, negative if tv-api-key was faster)`,
        },
  );
  const q3 = answers["fasterColdStart"];
  criteria.push(
    typeof q3 === "string" && expected.fasterColdStart.includes(q3)
      ? { name: names.q3, ok: true, detail: `${q3}, as the "first request after start" row says` }
      : {
          name: names.q3,
          ok: false,
          detail: `"fasterColdStart" is ${JSON.stringify(q3)}: it must be the column id ("no-auth" or "tv-api-key") with fewer ms in the "first request after start" row ${thisRun}`,
        },
  );
  return criteria;
}

const exercise: Exercise = {
  id: "07",
  slug: "read-the-matrix",
  title: "Read the matrix",
  minutes: 15,
  files: [ANSWERS],
  check,
  async solve(ctx) {
    ctx.say(`${RUN} (about 2 minutes)`);
    const run = await runCommand(process.execPath, [
      join(ctx.root, "compare/run.ts"),
      "--quick",
      "--only",
      COLUMNS.join(","),
      "--out",
      join(ctx.root, REPORT_DIR),
    ]);
    if (run.code !== 0) throw new Error(`compare failed: ${lastLines(run.tail)}`);
    const report = findReport(ctx.root);
    const judged = "why" in report ? report : expectedOf(report.results);
    if ("why" in judged) throw new Error(judged.why);
    const { revokedKeyWorkedMs, authCostReqPerSec, fasterColdStart } = judged.expected;
    const answers = { revokedKeyWorkedMs, authCostReqPerSec, fasterColdStart: fasterColdStart[0] };
    writeFileSync(join(ctx.root, ANSWERS), `${JSON.stringify(answers, null, 2)}\n`);
    ctx.say(`wrote ${ANSWERS}`);
  },
  async showSolution() {
    return [
      `1. ${RUN}`,
      `2. open ${REPORT_DIR}/index.html (or read ${REPORT_DIR}/matrix.md) and find:`,
      '   Q1 the "revocation" row, tv-api-key column: "N ms (keys revoke <id> (CLI))"  → revokedKeyWorkedMs: N',
      '   Q2 the "throughput" row: "0.94× (62 req/s)" and "0.84× (56 req/s)"            → authCostReqPerSec: 62 - 56',
      '   Q3 the "first request after start" row: the column with fewer ms              → fasterColdStart: its id',
      `3. ${ANSWERS}: {"revokedKeyWorkedMs": N, "authCostReqPerSec": D, "fasterColdStart": "no-auth" or "tv-api-key"}`,
      "   (your numbers: every run measures its own)",
    ].join("\n");
  },
  expectedStartFailure: "answers.json does not exist",
};

export default exercise;

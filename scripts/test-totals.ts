// Sums the JSON reports every vitest run writes to <package>/test-results/*.json into one line.
// A suite whose report is missing (its global setup threw, vitest crashed, the step never ran)
// counts as failed, with a line saying so: a red run must say why, never pass by omission.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

interface VitestReport {
  /** false when the run failed, including outside any test (a global setup that threw). */
  success: boolean;
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults?: {
    name: string;
    /** A file that failed outside its tests (an import that threw) says so here. */
    message?: string;
    assertionResults: { fullName: string; status: string; failureMessages?: string[] }[];
  }[];
}

/** The first line of a failure, short enough for the tail of a CI log. */
function firstLine(text: string | undefined): string {
  const line = (text ?? "").split("\n").find((candidate) => candidate.trim() !== "") ?? "";
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/**
 * One line per failed test, and per file that failed outside its tests, so a run that went red
 * says which test and why in the last lines it prints (a CI log is often read from its tail).
 */
function failures(report: VitestReport, root: string): string[] {
  return (report.testResults ?? []).flatMap((file) => {
    const where = relative(root, file.name);
    const tests = file.assertionResults
      .filter((test) => test.status === "failed")
      .map((test) => `    ✗ ${where} › ${test.fullName}\n      ${firstLine(test.failureMessages?.[0])}`);
    if (tests.length === 0 && file.message) tests.push(`    ✗ ${where}\n      ${firstLine(file.message)}`);
    return tests;
  });
}

/** The test scripts `scripts/test.sh` runs, each writing `--outputFile.json=test-results/<name>.json`. */
const SUITE_SCRIPTS = ["test:unit", "test:workerd", "test:e2e"];

/** The report files a package's test scripts promise, from its package.json. */
function expectedReports(dir: string): string[] {
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
    scripts?: Record<string, string>;
  };
  return SUITE_SCRIPTS.flatMap((script) => {
    const match = /--outputFile\.json=test-results\/([\w.-]+\.json)/.exec(manifest.scripts?.[script] ?? "");
    return match?.[1] === undefined ? [] : [match[1]];
  });
}

const root = join(import.meta.dirname, "..");
let passed = 0;
let failed = 0;
let skipped = 0;
const runs: string[] = [];
/** Every workspace package: the groups' members, then the packages at the root (compare, rehearse, workshop). */
const packageDirs: [string, string][] = [
  ...["apps", "packages", "bench"].flatMap((group) =>
    existsSync(join(root, group))
      ? readdirSync(join(root, group))
          .sort()
          .map((name): [string, string] => [group, name])
      : [],
  ),
  ["", "compare"],
  ["", "rehearse"],
  ["", "deploy"],
  ["", "workshop"],
];
{
  for (const [group, name] of packageDirs) {
    const dir = join(root, group, name);
    if (!existsSync(join(dir, "package.json"))) continue;
    const resultsDir = join(dir, "test-results");
    const written = existsSync(resultsDir) ? readdirSync(resultsDir).filter((entry) => entry.endsWith(".json")) : [];
    for (const file of [...new Set([...expectedReports(dir), ...written])].sort()) {
      const suite = `${group === "" ? name : `${group}/${name}`} ${file.replace(/\.json$/, "")}`;
      if (!written.includes(file)) {
        failed += 1;
        runs.push(`${suite}: FAILED, no results (the suite did not finish: see its output above for why)`);
        continue;
      }
      let report: VitestReport;
      try {
        report = JSON.parse(readFileSync(join(resultsDir, file), "utf8")) as VitestReport;
      } catch (error) {
        failed += 1;
        runs.push(`${suite}: FAILED, unreadable results (${error instanceof Error ? error.message : String(error)})`);
        continue;
      }
      passed += report.numPassedTests;
      failed += report.numFailedTests;
      const notRun = report.numPendingTests + report.numTodoTests;
      skipped += notRun;
      // A skipped test is not a failure, but each suite says how many it has: a skip is never read as a pass.
      let line = `${suite}: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${notRun} skipped`;
      // vitest writes a report even when its global setup threw: no test ran, none failed.
      if (report.numFailedTests === 0 && (!report.success || report.numTotalTests === 0)) {
        failed += 1;
        line += report.success
          ? " — FAILED: it ran no tests"
          : " — FAILED outside any test (a global setup that threw, an unhandled error: see its output above)";
      }
      runs.push(line, ...failures(report, root));
    }
  }
}
console.log(runs.join("\n"));
if (runs.length === 0) {
  console.log("totals: 0 passed, 1 failed (no test suite found)");
  process.exit(1);
}
console.log(`totals: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);

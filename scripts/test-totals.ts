// Sums the JSON reports every vitest run writes to <package>/test-results/*.json into one line.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
}

const root = join(import.meta.dirname, "..");
let passed = 0;
let failed = 0;
let skipped = 0;
const runs: string[] = [];
for (const group of ["apps", "packages", "bench"]) {
  if (!existsSync(join(root, group))) continue;
  for (const name of readdirSync(join(root, group))) {
    const dir = join(root, group, name, "test-results");
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir).filter((entry) => entry.endsWith(".json"))) {
      const report = JSON.parse(readFileSync(join(dir, file), "utf8")) as VitestReport;
      passed += report.numPassedTests;
      failed += report.numFailedTests;
      skipped += report.numPendingTests + report.numTodoTests;
      runs.push(
        `${group}/${name} ${file.replace(/\.json$/, "")}: ${report.numPassedTests} passed, ${report.numFailedTests} failed`,
      );
    }
  }
}
console.log(runs.join("\n"));
if (runs.length === 0) {
  console.log("totals: 0 passed, 1 failed (no test report was written)");
  process.exit(1);
}
console.log(`totals: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);

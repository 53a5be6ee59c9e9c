// Regenerates the root README's comparison table from a `compare` run, so the table is a
// measurement, not typed by hand: replaces what lies between the two markers below with the run's
// matrix and a line naming the run.
//
//   npm run readme-matrix -- [results.json] [--readme README.md]
//     results.json defaults to compare-report/results.json (write it with `pnpm compare --quick`)
//
// Its test: compare/test/readme-matrix.test.ts.
import { readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { format, resolveConfig } from "prettier";
import { renderMarkdown } from "../compare/lib/report.ts";
import { SCHEMA, type CompareResults } from "../compare/lib/results.ts";

const REPO_ROOT = join(import.meta.dirname, "..");

export const MATRIX_START = "<!-- compare:matrix:start -->";
export const MATRIX_END = "<!-- compare:matrix:end -->";

/** The README could not be updated; the message says why and what to do. */
export class ReadmeMatrixError extends Error {}

/** The line under the table saying which run produced it. */
export function producedBy(results: CompareResults): string {
  const s = results.settings;
  const command = s.quick ? "`npx -y pnpm@10.34.9 compare --quick`" : "`npx -y pnpm@10.34.9 compare`";
  const day = results.startedAt.slice(0, 10);
  return `Produced by ${command} on ${day} (${s.cores} cores, ${s.platform}, Node ${s.node}, wrangler ${s.wrangler}); regenerate with a run, then \`npm run readme-matrix\`.`;
}

/**
 * `readme` with the block between the markers replaced by the run's matrix (raw Markdown; {@link main}
 * formats it); throws when the markers are missing.
 */
export function replaceMatrix(readme: string, results: CompareResults): string {
  const start = readme.indexOf(MATRIX_START);
  const end = readme.indexOf(MATRIX_END);
  if (start === -1 || end === -1 || end < start) {
    throw new ReadmeMatrixError(
      `the README has no ${MATRIX_START} … ${MATRIX_END} block (both markers, in that order): add them where the table belongs`,
    );
  }
  const block = `${MATRIX_START}\n\n${renderMarkdown(results)}\n${producedBy(results)}\n\n`;
  return readme.slice(0, start) + block + readme.slice(end);
}

/** Reads and checks a results file: it must be JSON of this schema version. */
export function readResults(path: string): CompareResults {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new ReadmeMatrixError(
      `cannot read ${path} as JSON (${(error as Error).message}): run \`pnpm compare --quick\` first`,
    );
  }
  const schema = (parsed as { schema?: unknown } | null)?.schema;
  if (schema !== SCHEMA) {
    throw new ReadmeMatrixError(`${path} has schema ${JSON.stringify(schema)}, this script reads ${SCHEMA}`);
  }
  return parsed as CompareResults;
}

async function main(args: string[]): Promise<void> {
  let resultsPath = join(REPO_ROOT, "compare-report", "results.json");
  let readmePath = join(REPO_ROOT, "README.md");
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--readme") {
      const next = args[++i];
      if (next === undefined) throw new ReadmeMatrixError("--readme needs a path");
      readmePath = next;
    } else if (arg.startsWith("--")) {
      throw new ReadmeMatrixError(
        `unknown option ${arg}; usage: node scripts/readme-matrix.ts [results.json] [--readme README.md]`,
      );
    } else {
      resultsPath = arg;
    }
  }
  const results = readResults(resultsPath);
  const before = readFileSync(readmePath, "utf8");
  // Formatted as `pnpm format` would (the repo's Prettier config, whatever the README's path), so
  // the regenerated table passes `pnpm format:check` without a second step.
  const options = (await resolveConfig(join(REPO_ROOT, "README.md"))) ?? {};
  const after = await format(replaceMatrix(before, results), { ...options, parser: "markdown" });
  writeFileSync(readmePath, after);
  console.log(
    `readme-matrix: ${readmePath} ${after === before ? "already up to date" : "updated"} from ${resultsPath}`,
  );
}

if (process.argv[1] !== undefined && relative(process.argv[1], import.meta.filename) === "") {
  main(process.argv.slice(2)).catch((error: unknown) => {
    if (!(error instanceof ReadmeMatrixError)) throw error;
    console.error(`readme-matrix: ${error.message}`);
    process.exit(1);
  });
}

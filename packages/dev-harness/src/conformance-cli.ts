// Where the MCP conformance CLIs are installed. They are npm aliases in this package's
// dependencies, so they resolve from here, not from the suite that runs them (mcp-core/testing/node).
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** The two installed CLIs: 0.1.16 for the 2025 revisions, 0.2.0-alpha.12 for 2026-07-28. */
export type ConformanceSuite = "2025" | "2026-07-28";

/** The entry script of a suite's installed CLI, to run with `node`. */
export function conformanceCli(suite: ConformanceSuite): string {
  const alias = suite === "2025" ? "mcp-conformance-2025" : "mcp-conformance-2026";
  const pkg = createRequire(import.meta.url).resolve(`${alias}/package.json`);
  return join(dirname(pkg), "dist", "index.js");
}

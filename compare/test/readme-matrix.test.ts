import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { renderMarkdown } from "../lib/report.ts";
import { fixtureResults } from "./fixture.ts";

const REPO_ROOT = join(import.meta.dirname, "..", "..");
const SCRIPT = join(REPO_ROOT, "scripts", "readme-matrix.ts");
const PRETTIER = join(REPO_ROOT, "node_modules", "prettier", "bin", "prettier.cjs");

describe("scripts/readme-matrix.ts", () => {
  const dir = mkdtempSync(join(tmpdir(), "readme-matrix-"));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const resultsPath = join(dir, "results.json");
  writeFileSync(resultsPath, JSON.stringify(fixtureResults()));

  /** Runs the script as a user would, on the Node running the tests (24, with type stripping). */
  function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
    const result = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: "utf8" });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  it("replaces the block between the markers with the run's matrix and the line naming the run", () => {
    const readme = join(dir, "with-markers.md");
    const before =
      "# Title\n\nIntro.\n\n<!-- compare:matrix:start -->\nold hand-typed table\n<!-- compare:matrix:end -->\n\nAfter.\n";
    writeFileSync(readme, before);
    const result = run(resultsPath, "--readme", readme);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("updated");
    const after = readFileSync(readme, "utf8");
    expect(after.startsWith("# Title\n\nIntro.\n\n<!-- compare:matrix:start -->\n\n")).toBe(true);
    expect(after.endsWith("\n\n<!-- compare:matrix:end -->\n\nAfter.\n")).toBe(true);
    const markdown = renderMarkdown(fixtureResults());
    for (const line of markdown.split("\n")) {
      // Prettier pads the table's cells; the words of every line stay as rendered.
      expect(after.replace(/ {2,}/g, " ").replace(/-{3,}/g, "---")).toContain(line.replace(/ {2,}/g, " "));
    }
    expect(after).toContain(
      "\nProduced by `npx -y pnpm@10.34.9 compare --quick` on 2026-12-07 (2 cores, linux x64, Node v24.21.0, wrangler 4.50.0); regenerate with a run, then `npm run readme-matrix`.\n",
    );
    // Formatted as the repo formats Markdown: `prettier --check` with its config passes.
    const check = spawnSync(
      process.execPath,
      [PRETTIER, "--config", join(REPO_ROOT, ".prettierrc.json"), "--check", readme],
      { encoding: "utf8" },
    );
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(after).not.toContain("old hand-typed table");
    // A second run changes nothing.
    expect(run(resultsPath, "--readme", readme).stdout).toContain("already up to date");
    expect(readFileSync(readme, "utf8")).toBe(after);
  });

  it("exits 1 and leaves the README alone when the markers are missing", () => {
    for (const [name, text] of [
      ["none.md", "# Title\n\nNo markers here.\n"],
      ["only-start.md", "# Title\n<!-- compare:matrix:start -->\n"],
      ["reversed.md", "<!-- compare:matrix:end -->\n<!-- compare:matrix:start -->\n"],
    ] as const) {
      const readme = join(dir, name);
      writeFileSync(readme, text);
      const result = run(resultsPath, "--readme", readme);
      expect(result.status).toBe(1);
      expect(result.stderr).toBe(
        "readme-matrix: the README has no <!-- compare:matrix:start --> … <!-- compare:matrix:end --> block (both markers, in that order): add them where the table belongs\n",
      );
      expect(readFileSync(readme, "utf8")).toBe(text);
    }
  });

  it("exits 1 on a results file it cannot read or of another schema", () => {
    const readme = join(dir, "markers.md");
    const text = "<!-- compare:matrix:start -->\n<!-- compare:matrix:end -->\n";
    writeFileSync(readme, text);
    const missing = run(join(dir, "absent.json"), "--readme", readme);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(
      /^readme-matrix: cannot read .*absent\.json as JSON \(.*\): run `pnpm compare --quick` first\n$/,
    );
    const other = join(dir, "other.json");
    writeFileSync(other, JSON.stringify({ ...fixtureResults(), schema: "mcp-auth-compare/0" }));
    const wrong = run(other, "--readme", readme);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toBe(
      `readme-matrix: ${other} has schema "mcp-auth-compare/0", this script reads mcp-auth-compare/1\n`,
    );
    expect(readFileSync(readme, "utf8")).toBe(text);
  });
});

// compare's command line, where it answers before starting anything.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const RUN = join(import.meta.dirname, "..", "run.ts");

describe("compare's command line", () => {
  it("names the columns when --only names one that does not exist (exit 2, nothing started)", () => {
    const answer = spawnSync(process.execPath, [RUN, "--only", "no-auth,nope"], { encoding: "utf8" });
    expect(answer.status).toBe(2);
    expect(answer.stderr).toMatch(/^compare: unknown column nope; the columns are no-auth, tv-api-key, tv-jwt, /);
    expect(answer.stderr).not.toContain("starting dev-idp");
  });

  it("prints its usage with --help", () => {
    const answer = spawnSync(process.execPath, [RUN, "--help"], { encoding: "utf8" });
    expect(answer.status).toBe(0);
    expect(answer.stdout).toContain("usage: compare [--only COLUMN,…] [--quick] [--out DIR] [--json]");
  });

  it("refuses an unknown option with the reason (exit 1)", () => {
    const answer = spawnSync(process.execPath, [RUN, "--fast"], { encoding: "utf8" });
    expect(answer.status).toBe(1);
    expect(answer.stderr).toContain("Unknown option '--fast'");
  });
});

// The command line without a stage: the list, an unsupported pair (exit 2 with what to do
// instead), usage errors. Each runs the real script as a user would.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const script = join(import.meta.dirname, "..", "run.ts");

async function rehearse(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [script, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe("rehearse command line", () => {
  it("--list prints the three paths in order, exit 0", async () => {
    const { code, stdout } = await rehearse("--list");
    expect(code).toBe(0);
    const paths = stdout.split("\n").filter((line) => line.trim().startsWith("rehearse "));
    expect(paths.map((line) => line.trim().split(/\s+/).slice(1, 3).join(" "))).toEqual([
      "no-auth token-validation",
      "token-validation oauth-proxy",
      "oauth-proxy full-oauth-provider",
    ]);
  });

  it("a reverse path: exit 2, says how to go back, and lists the paths", async () => {
    const { code, stderr, stdout } = await rehearse("oauth-proxy", "token-validation");
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain("oauth-proxy → token-validation is not a rehearsed path");
    expect(stderr).toContain("routing clients back to the old Worker");
    expect(stderr).toContain("rehearse no-auth token-validation");
  });

  it("a pair two hops apart: exit 2, names the hops to rehearse instead", async () => {
    const { code, stderr } = await rehearse("no-auth", "full-oauth-provider");
    expect(code).toBe(2);
    expect(stderr).toContain(
      "Rehearse it one hop at a time: rehearse no-auth token-validation, then rehearse token-validation oauth-proxy, then rehearse oauth-proxy full-oauth-provider.",
    );
  });

  it("an unknown app: exit 2, names it", async () => {
    const { code, stderr } = await rehearse("no-auth", "basic-auth");
    expect(code).toBe(2);
    expect(stderr).toContain('"basic-auth" is not one of the apps');
  });

  it("the same app twice, a missing argument, an unknown flag or sabotage: exit 2 with usage", async () => {
    expect((await rehearse("no-auth", "no-auth")).stderr).toContain("nothing to migrate");
    for (const args of [["no-auth"], ["--frobnicate"], ["no-auth", "token-validation", "--sabotage", "nope"]]) {
      const { code, stderr } = await rehearse(...args);
      expect(code, args.join(" ")).toBe(2);
      expect(stderr).toMatch(/usage: rehearse|--sabotage is one of|Unknown option/);
    }
  });
});

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { listToolsOverStdio, registryUnreachable, runCommandLine } from "../src/command-line.ts";

// A command that appends a line to `count` each time it runs, then prints `message` and exits `code`
// until its `succeedOn`-th run.
const counting = (dir: string, message: string, code: number, succeedOn: number) =>
  `echo run >> ${join(dir, "count")}; ` +
  `[ "$(wc -l < ${join(dir, "count")})" -ge ${succeedOn} ] && { echo ok; exit 0; }; ` +
  `echo '${message}' >&2; exit ${code}`;
const runs = (dir: string) => readFileSync(join(dir, "count"), "utf8").trim().split("\n").length;

describe("runCommandLine", () => {
  let dir = "";
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("tries a run again when npm could not reach the registry, and stops once it succeeds", async () => {
    dir = mkdtempSync(join(tmpdir(), "command-line-"));
    const line = counting(dir, "npm error code SELF_SIGNED_CERT_IN_CHAIN", 1, 2);
    const run = await runCommandLine(line, { cwd: dir, pauseMs: 1 });
    expect(run).toMatchObject({ code: 0, stdout: "ok\n" });
    expect(runs(dir)).toBe(2);
  });

  it("gives up after `attempts` runs, with the last failure", async () => {
    dir = mkdtempSync(join(tmpdir(), "command-line-"));
    const run = await runCommandLine(counting(dir, "npm error code EAI_AGAIN", 1, 99), {
      cwd: dir,
      attempts: 2,
      pauseMs: 1,
    });
    expect(run.code).toBe(1);
    expect(run.tail).toContain("EAI_AGAIN");
    expect(runs(dir)).toBe(2);
  });

  it("never retries a failure of the command itself (control)", async () => {
    dir = mkdtempSync(join(tmpdir(), "command-line-"));
    const run = await runCommandLine(counting(dir, "error: 401 Unauthorized", 1, 2), { cwd: dir, pauseMs: 1 });
    expect(run.code).toBe(1);
    expect(runs(dir)).toBe(1);
  });

  it("listToolsOverStdio starts a bridge again when its npx could not reach the registry", async () => {
    dir = mkdtempSync(join(tmpdir(), "command-line-"));
    const line = counting(dir, "npm error code ECONNRESET", 1, 99);
    await expect(listToolsOverStdio("sh", ["-c", line], { cwd: dir, attempts: 2, pauseMs: 1 })).rejects.toThrow(
      /ECONNRESET/,
    );
    expect(runs(dir)).toBe(2);
  });

  it.each([
    ["npm error code SELF_SIGNED_CERT_IN_CHAIN", true],
    ["npm error errno ECONNRESET", true],
    ["npm error code E503", true],
    ["npm error code E404", false],
    ["npm error code ETARGET", false],
    ["Tool 'notes_add' not found", false],
  ])("%s → registry unreachable: %s", (output, expected) => {
    expect(registryUnreachable(output)).toBe(expected);
  });
});

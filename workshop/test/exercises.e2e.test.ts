// Every exercise found (`NN-slug/exercise.ts`), through the CLI as a learner runs it: the untouched
// starting point fails its check with the exercise's expected reason; the reference solution
// passes it; reset leaves the exercise's files identical to HEAD and removes its state.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand, ROOT } from "../lib/command.ts";
import type { CiSetup, Exercise } from "../lib/exercise.ts";
import { contextFor, loadExercises, stateDirOf, WORKSHOP_DIR } from "../lib/exercises.ts";
import { changedUnder } from "../lib/git.ts";

const exercises = await loadExercises();

/** `workshop <args>` as `npx -y pnpm@10.34.9 workshop` runs it (node workshop/run.ts), with `env`. */
function workshop(args: string[], env: Record<string, string>) {
  return runCommand(process.execPath, [join(WORKSHOP_DIR, "run.ts"), ...args], { env });
}

it("finds the exercises, each with a README and the fields the CLI needs", () => {
  expect(exercises.length).toBeGreaterThan(0);
  for (const exercise of exercises) {
    const dir = join(WORKSHOP_DIR, `${exercise.id}-${exercise.slug}`);
    expect(existsSync(join(dir, "README.md")), `${dir}/README.md`).toBe(true);
    expect(exercise.minutes).toBeGreaterThan(0);
    expect(exercise.expectedStartFailure.trim()).not.toBe("");
  }
});

describe.each(exercises.map((exercise): [string, Exercise] => [`${exercise.id}-${exercise.slug}`, exercise]))(
  "exercise %s",
  (_name, exercise) => {
    let env: Record<string, string> = {};
    let stop = async () => {};

    beforeAll(async () => {
      // The cycle ends with a reset: a learner's uncommitted work in these files would be lost.
      expect(
        await changedUnder(ROOT, exercise.files),
        "the exercise's files must be as in HEAD before the test",
      ).toEqual([]);
      const ci = join(WORKSHOP_DIR, `${exercise.id}-${exercise.slug}`, "ci.ts");
      if (existsSync(ci)) {
        const setup = ((await import(pathToFileURL(ci).href)) as { default: CiSetup }).default;
        const started = await setup(contextFor(exercise, () => {}));
        env = started.env;
        stop = () => started.stop();
      }
    });
    afterAll(async () => {
      await stop();
    });

    it("start: the check fails with the expected reason; solve: it passes; reset: the tree is HEAD's", async () => {
      const started = await workshop(["start", exercise.id], env);
      expect(started.code, started.tail).toBe(0);

      const before = await workshop(["check", exercise.id], env);
      expect(before.code, before.stdout).toBe(1);
      const firstFailing = before.stdout.split("\n").find((line) => line.startsWith("✗ "));
      expect(firstFailing, before.stdout).toContain(exercise.expectedStartFailure);

      const shown = await workshop(["solve", exercise.id, "--show"], env);
      expect(shown.code, shown.tail).toBe(0);
      expect(shown.stdout.trim()).not.toBe("");

      const solved = await workshop(["solve", exercise.id], env);
      expect(solved.code, solved.tail).toBe(0);
      const after = await workshop(["check", exercise.id], env);
      expect(after.stdout).not.toContain("✗ ");
      expect(after.code, after.stdout).toBe(0);

      const reset = await workshop(["reset", exercise.id, "--yes"], env);
      expect(reset.code, reset.tail).toBe(0);
      expect(await changedUnder(ROOT, exercise.files)).toEqual([]);
      const diff = await runCommand("git", ["diff", "--quiet", "HEAD", "--", ...exercise.files]);
      expect(diff.code, "git diff --quiet HEAD on the exercise's files").toBe(0);
      expect(existsSync(stateDirOf(exercise.id))).toBe(false);
    });
  },
);

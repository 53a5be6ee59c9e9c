// Finds the exercises (every `NN-slug/exercise.ts` of this directory) and makes their context.
import { mkdirSync, readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Exercise, WorkshopContext } from "./exercise.ts";
import { ROOT } from "./command.ts";

/** This directory: workshop/. */
export const WORKSHOP_DIR = join(ROOT, "workshop");

/** Where an exercise's local state lives (git-ignored). */
export function stateDirOf(id: string): string {
  return join(WORKSHOP_DIR, ".state", id);
}

/** The exercise directories (`NN-slug` holding an exercise.ts), in order. */
export function exerciseDirs(): string[] {
  return readdirSync(WORKSHOP_DIR)
    .filter((name) => /^\d\d-[a-z0-9-]+$/.test(name) && existsSync(join(WORKSHOP_DIR, name, "exercise.ts")))
    .sort();
}

/** Every exercise, loaded; throws when one's id or slug does not match its directory. */
export async function loadExercises(): Promise<Exercise[]> {
  const exercises: Exercise[] = [];
  for (const dir of exerciseDirs()) {
    const module = (await import(pathToFileURL(join(WORKSHOP_DIR, dir, "exercise.ts")).href)) as { default: Exercise };
    const exercise = module.default;
    if (`${exercise.id}-${exercise.slug}` !== dir) {
      throw new Error(
        `workshop/${dir}/exercise.ts says it is ${exercise.id}-${exercise.slug}: the directory must match`,
      );
    }
    exercises.push(exercise);
  }
  return exercises;
}

/** The context an exercise runs with: the root, its state directory (created on first use), stderr. */
export function contextFor(
  exercise: Pick<Exercise, "id">,
  say: (line: string) => void = (line) => {
    process.stderr.write(`[workshop ${exercise.id}] ${line}\n`);
  },
): WorkshopContext {
  const stateDir = stateDirOf(exercise.id);
  return {
    root: ROOT,
    get stateDir() {
      mkdirSync(stateDir, { recursive: true });
      return stateDir;
    },
    say,
  };
}

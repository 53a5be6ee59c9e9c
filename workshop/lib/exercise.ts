// The contract every exercise implements (`NN-slug/exercise.ts` default-exports an Exercise), and
// the context the CLI hands it. The CLI (`run.ts`) and the CI test (`test/exercises.e2e.test.ts`)
// know exercises only through these types.

/** One line of a check: what was checked, whether it holds, and why (or the evidence). */
export interface Criterion {
  name: string;
  ok: boolean;
  /** Why it failed and what to look at, or the evidence that it holds. */
  detail: string;
}

/** What the CLI gives an exercise. */
export interface WorkshopContext {
  /** The repository root. */
  root: string;
  /** workshop/.state/<id>, created on demand. */
  stateDir: string;
  /** Progress to stderr. */
  say(line: string): void;
}

/** One workshop exercise. */
export interface Exercise {
  /** "01".."07". */
  id: string;
  /** e.g. "first-call": the directory is `${id}-${slug}`. */
  slug: string;
  title: string;
  /** The time measured doing it from its README alone. */
  minutes: number;
  /** Git-tracked files the exercise (start, the learner, or solve) may change; reset restores them from HEAD. */
  files: string[];
  /** Puts the starting point in place (e.g. applies start.patch: a prepared bug). Idempotent. Optional. */
  start?(ctx: WorkshopContext): Promise<void>;
  /** One criterion per line; never throws for a learner's mistake (a failed criterion instead). */
  check(ctx: WorkshopContext): Promise<Criterion[]>;
  /** Applies the reference solution: its code change (git apply solution.patch) and/or its steps. */
  solve(ctx: WorkshopContext): Promise<void>;
  /** What `solve --show` prints: the patch and/or the steps, without applying anything. */
  showSolution(ctx: WorkshopContext): Promise<string>;
  /** The reason the untouched starting point fails (a substring of the first failing criterion's detail): the CI test asserts it. */
  expectedStartFailure: string;
}

/**
 * Optional `NN-slug/ci.ts` (default export): what the CI test starts before an exercise whose check
 * talks to the learner's own `pnpm dev` (e.g. a token-validation on a free port with state under
 * .state/NN), and the environment that points the exercise's commands at it. Exercises that start
 * their own apps need none.
 */
export type CiSetup = (ctx: WorkshopContext) => Promise<{ env: Record<string, string>; stop(): Promise<void> }>;

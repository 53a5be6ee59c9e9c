// Apps an exercise's check starts: under `wrangler dev` on free ports (never pnpm dev's 8787–8791),
// with state under workshop/.state/<id>, through rehearse's Stage (the same harness, the same
// operator CLIs against that state).
import { join } from "node:path";
import {
  Stage,
  appCli,
  notesCli,
  ADMIN_SECRET,
  type App,
  type AppName,
  type CliOutput,
} from "../../rehearse/lib/stage.ts";
import type { WorkshopContext } from "./exercise.ts";

export { ADMIN_SECRET, appCli, notesCli, type App, type AppName, type CliOutput };

/** A Stage whose apps keep their state in `<stateDir>/apps` (removed by close()). */
export function stageFor(ctx: WorkshopContext): Stage {
  return new Stage(join(ctx.stateDir, "apps"));
}

/** Runs `body` with a stage for this exercise, stopping its apps and removing their state afterwards. */
export async function withStage<T>(ctx: WorkshopContext, body: (stage: Stage) => Promise<T>): Promise<T> {
  const stage = stageFor(ctx);
  try {
    return await body(stage);
  } finally {
    await stage.close();
  }
}

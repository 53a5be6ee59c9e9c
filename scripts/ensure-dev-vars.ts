// `pnpm dev` on a fresh clone: start an app from its documented example so it serves at once.
// Run from the app's folder (its package script). Never overwrites an existing .dev.vars.
import { copyFileSync, existsSync } from "node:fs";
import { basename, join } from "node:path";

const app = process.cwd();
if (!existsSync(join(app, ".dev.vars"))) {
  copyFileSync(join(app, ".dev.vars.example"), join(app, ".dev.vars"));
  console.log(`${basename(app)}: created .dev.vars from .dev.vars.example (dev-only secrets)`);
}

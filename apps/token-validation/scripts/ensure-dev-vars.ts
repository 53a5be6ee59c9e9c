// `pnpm dev` on a fresh clone: start from the documented example so the app serves at once.
// Never overwrites an existing .dev.vars.
import { copyFileSync, existsSync } from "node:fs";
import { join } from "node:path";

const app = join(import.meta.dirname, "..");
if (!existsSync(join(app, ".dev.vars"))) {
  copyFileSync(join(app, ".dev.vars.example"), join(app, ".dev.vars"));
  console.log("token-validation: created .dev.vars from .dev.vars.example (dev-only secrets)");
}

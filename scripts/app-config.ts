// An app's env checked by the app's own `src/config.ts` `loadConfig`, in Node: the schema the
// Worker uses, so a check before `wrangler dev` (check-dev-config.ts) or before a deploy (deploy's
// preflight) and the Worker cannot disagree.
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/** What the app's `src/config.ts` exports, as far as these checks rely on it. */
interface AppConfigModule {
  loadConfig: (env: Record<string, unknown>) => unknown;
}

/** A problem `loadConfig` reports for a missing secret: `NAME: required: set it with \`wrangler secret put NAME\``. */
export const MISSING_SECRET = /^(\w+): required: set it with `wrangler secret put \1`$/;

/**
 * The problems the app at `appDir` finds in `env` (`NAME: what is wrong`, never a value); none
 * when its Worker would serve with it.
 */
export async function configProblems(appDir: string, env: Record<string, unknown>): Promise<string[]> {
  const { loadConfig } = (await import(pathToFileURL(join(appDir, "src", "config.ts")).href)) as AppConfigModule;
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    // ConfigError (auth-common), recognised by name: these scripts do not import the app's packages.
    if (!(error instanceof Error) || error.name !== "ConfigError") throw error;
    return "problems" in error && Array.isArray(error.problems) ? error.problems.map(String) : [error.message];
  }
}

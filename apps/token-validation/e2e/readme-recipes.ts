// The "Switching methods locally" recipes, read from the app's README so the doc and its test
// cannot drift: each recipe is an HTML comment `<!-- recipe: NAME -->` followed by a ```dotenv
// block (the .dev.vars lines to set) and a ```sh block (the command that gets a token).
import { withoutShellComment } from "@mcp-auth/dev-harness";
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const APP_DIR = join(import.meta.dirname, "..");
export const REPO_ROOT = join(APP_DIR, "..", "..");

export interface Recipe {
  name: string;
  /** The `.dev.vars` lines of the recipe, in order. */
  vars: Record<string, string>;
  /** The token command exactly as printed (one logical line, trailing comment removed). */
  command: string;
}

/**
 * `NAME="value"`, `NAME='value'` (as wrangler's dotenv reads it: a JSON value keeps its double
 * quotes) or unquoted lines of a .dev.vars-style text; comments and blank lines skipped.
 */
export function parseDevVars(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^\s*([A-Z][A-Z0-9_]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^#\s'"]*))\s*(?:#.*)?$/.exec(line);
    if (match?.[1] !== undefined) vars[match[1]] = match[2] ?? match[3] ?? match[4] ?? "";
  }
  return vars;
}

/** Every recipe in the README, in order; throws naming the recipe when its blocks are not found. */
export function readRecipes(readme = readFileSync(join(APP_DIR, "README.md"), "utf8")): Recipe[] {
  const recipes: Recipe[] = [];
  const marker = /<!-- recipe: ([\w-]+) -->/g;
  for (const found of readme.matchAll(marker)) {
    const name = found[1] ?? "";
    const rest = readme.slice(found.index + found[0].length);
    const next = rest.search(/<!-- recipe: /);
    const section = next === -1 ? rest : rest.slice(0, next);
    const dotenv = /```dotenv\n([\s\S]*?)```/.exec(section)?.[1];
    const sh = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
    if (dotenv === undefined || sh === undefined) {
      throw new Error(`recipe ${name}: expected a \`\`\`dotenv block and a \`\`\`sh block after its marker`);
    }
    const commands = sh
      .split("\n")
      .map(withoutShellComment)
      .filter((line) => line.trim() !== "");
    if (commands.length !== 1 || commands[0] === undefined) {
      throw new Error(`recipe ${name}: its sh block must hold exactly one command, found ${commands.length}`);
    }
    recipes.push({ name, vars: parseDevVars(dotenv), command: commands[0] });
  }
  return recipes;
}

// The README's "Switching methods locally" recipes, run as printed: for each one, the app under
// `wrangler dev` with the recipe's `.dev.vars` lines (over the example's and wrangler.jsonc's
// defaults, so a developer's own .dev.vars changes nothing), a dev IdP, the recipe's token command
// run by a shell from the repository root, and `whoami` with the token it printed.
import { jsoncToJson, startDevIdp, startWranglerDev, type DevIdp, type WranglerDev } from "@mcp-auth/dev-harness";
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WHOAMI, bearer, mcpPost, structured } from "./helpers.ts";
import { APP_DIR, REPO_ROOT, parseDevVars, readRecipes, type Recipe } from "./readme-recipes.ts";

const run = promisify(execFile);
/** The dev IdP's address as the README prints it; the test's IdP listens on a free port instead. */
const README_IDP = "http://127.0.0.1:8791";

/** What `whoami` must say for each recipe's token. A recipe without a row here fails the suite. */
const EXPECTED: Record<string, { method: string; subject: string }> = {
  api_key: { method: "api_key", subject: "alice" },
  jwt_hs256: { method: "jwt", subject: "alice" },
  jwt_jwks: { method: "jwt", subject: "mcp-test-client" },
  introspection: { method: "introspection", subject: "mcp-test-client" },
};

const recipes = readRecipes();
let idp: DevIdp;
const running: WranglerDev[] = [];

beforeAll(async () => {
  idp = await startDevIdp({ port: 0 });
});
afterAll(async () => {
  await Promise.allSettled(running.map((dev) => dev.stop()));
  await idp.stop();
});

/**
 * The app's variables with every setting named: wrangler.jsonc's vars, then the example's, then
 * `overrides`. With `useIdp`, the README's dev IdP address becomes this test's IdP (an HS256
 * recipe keeps it: there it is only the `iss` mint-token writes, never fetched).
 */
function appVars(overrides: Record<string, string>, useIdp: boolean): Record<string, string> {
  const config = JSON.parse(jsoncToJson(readFileSync(join(APP_DIR, "wrangler.jsonc"), "utf8"))) as {
    vars: Record<string, string>;
  };
  const example = parseDevVars(readFileSync(join(APP_DIR, ".dev.vars.example"), "utf8"));
  const vars = { ...config.vars, ...example, ...overrides };
  if (!useIdp) return vars;
  return Object.fromEntries(
    Object.entries(vars).map(([name, value]) => [name, value.replaceAll(README_IDP, idp.issuer)]),
  );
}

async function startApp(recipe: Recipe, overrides = recipe.vars): Promise<WranglerDev> {
  const dev = await startWranglerDev({
    cwd: APP_DIR,
    prepare: [["d1", "migrations", "apply", "KEYS_DB", "--local"]],
    vars: appVars(overrides, recipe.command.includes("idp-token")),
  });
  running.push(dev);
  return dev;
}

/** Runs a shell line from the repository root, with the test's IdP where the README has 8791. */
async function shell(line: string): Promise<string> {
  const { stdout } = await run("bash", ["-c", line], {
    cwd: REPO_ROOT,
    env: { ...process.env, DEV_IDP_ISSUER: idp.issuer, WRANGLER_SEND_METRICS: "false", CI: "true" },
    timeout: 60_000,
  });
  return stdout;
}

/** The token a recipe's command gives: `TOKEN=$(…)` prints only the token; `keys create` prints it on a line of its own. */
async function tokenOf(recipe: Recipe, dev: WranglerDev): Promise<string> {
  const assignment = /^TOKEN=\$\((.*)\)$/.exec(recipe.command);
  if (assignment?.[1] !== undefined) {
    const printed = await shell(assignment[1]);
    // Meant for $(…): nothing but the token and a newline.
    expect(printed).toMatch(/^[\w.~+/=-]+\n$/);
    return printed.trim();
  }
  // The key CLI works on the state of the wrangler it is pointed at (the test's, not .wrangler/state).
  const printed = await shell(`${recipe.command} --persist-to ${dev.stateDir}`);
  const key = /^\s*(mcpk_[\w-]{43})\s*$/m.exec(printed)?.[1];
  if (key === undefined) throw new Error(`recipe ${recipe.name}: no key in the command's output`);
  return key;
}

describe("README recipes (Switching methods locally)", () => {
  it("the README holds exactly the recipes this suite knows", () => {
    expect(recipes.map((recipe) => recipe.name).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it("the HS256 recipe's JWT_SECRET is the one a fresh clone's .dev.vars gets from the example", () => {
    const hs256 = recipes.find((recipe) => recipe.name === "jwt_hs256");
    const example = parseDevVars(readFileSync(join(APP_DIR, ".dev.vars.example"), "utf8"));
    expect(hs256?.vars["JWT_SECRET"]).toBe(example["JWT_SECRET"]);
  });

  for (const recipe of recipes) {
    it(`${recipe.name}: the printed token command gives a token whoami accepts`, async () => {
      const expected = EXPECTED[recipe.name];
      if (expected === undefined) throw new Error(`no expectation for recipe ${recipe.name}`);
      let vars = recipe.vars;
      if (recipe.name === "jwt_hs256") {
        // mint-token signs with JWT_SECRET from the app's .dev.vars, as `pnpm dev` creates it. A
        // fresh clone's is the recipe's (the example's); a developer who changed it gets a server
        // with their own secret, so the printed command is still what is tested.
        const devVars = join(APP_DIR, ".dev.vars");
        if (!existsSync(devVars))
          await run(process.execPath, [join(REPO_ROOT, "scripts", "ensure-dev-vars.ts")], { cwd: APP_DIR });
        const secret = parseDevVars(readFileSync(devVars, "utf8"))["JWT_SECRET"];
        if (secret !== undefined && secret !== recipe.vars["JWT_SECRET"]) vars = { ...recipe.vars, JWT_SECRET: secret };
      }
      const dev = await startApp(recipe, vars);
      const token = await tokenOf(recipe, dev);
      const answer = await mcpPost(dev.origin, bearer(token), WHOAMI);
      expect({ status: answer.status, refusal: answer.oauth }).toEqual({ status: 200, refusal: {} });
      expect(structured(answer)).toMatchObject(expected);
      await dev.stop();
    });
  }

  it('the JWKS recipe without its JWT_SECRET="" line refuses to serve, naming JWT_SECRET', async () => {
    const jwks = recipes.find((recipe) => recipe.name === "jwt_jwks");
    if (jwks === undefined) throw new Error("no jwt_jwks recipe");
    const withoutEmptySecret = Object.fromEntries(Object.entries(jwks.vars).filter(([name]) => name !== "JWT_SECRET"));
    // The example's JWT_SECRET stays set: exactly the mistake the recipe's line prevents.
    const dev = await startApp(jwks, withoutEmptySecret);
    const token = await tokenOf(jwks, dev);
    const answer = await mcpPost(dev.origin, bearer(token), WHOAMI);
    expect(answer.status).toBe(500);
    expect(answer.text).toContain("server_misconfigured");
    expect(answer.text).toContain("JWT_SECRET");
    await dev.stop();
  });
});

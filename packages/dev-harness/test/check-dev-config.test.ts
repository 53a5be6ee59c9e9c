// scripts/check-dev-config.ts, the first step of every app's `dev`: a configuration the Worker would
// refuse stops that app before `wrangler dev`, with every problem named in one run.
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const REPO = join(import.meta.dirname, "..", "..", "..");
const SCRIPT = join(REPO, "scripts", "check-dev-config.ts");
// A secret pasted where it does not belong: the output names the variable, never this value.
const SECRET = "sk_live_51HxQ9dEXAMPLEs3cr3tV4lu3";

const scratch = mkdtempSync(join(tmpdir(), "check-dev-config-"));
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the check as the app's `dev` script does (from the app's folder), on `envFile`. */
function check(app: string, envFile: string, appsDir = join(REPO, "apps")): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT, "--env-file", envFile], {
      cwd: join(appsDir, app),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

function devVars(name: string, lines: string[]): string {
  const file = join(scratch, name);
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

/** The problem lines of the block the check prints (indented under its header). */
const problems = (run: Run) =>
  run.stderr
    .split("\n")
    .filter((line) => line.startsWith("    "))
    .map((line) => line.trim());

describe("check-dev-config (the start of `pnpm dev`)", () => {
  it("token-validation: a broken .dev.vars → exit 1, every problem (field and cross-field) named at once", async () => {
    const file = devVars("token-validation.vars", [
      'AUTH_METHODS="api_key,jwt"',
      'AUTH_MODE="sometimes"',
      'JWT_SECRET="too-short-dev-secret"',
      'JWT_JWKS_URL="https://idp.example/jwks"',
      'JWT_ISSUER="https://idp.example"',
      'JWT_AUDIENCE="http://localhost:8788/mcp"',
      'RATE_LIMIT_PERIOD_SECONDS="abc"',
      `INTROSPECTION_CLIENT_SECRET="${SECRET}"`,
      `ALLOWED_HOSTNAMES="https://${SECRET}"`,
    ]);
    const run = await check("token-validation", file);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("✗ token-validation not started: its configuration has 5 problems");
    expect(problems(run)).toEqual([
      'AUTH_MODE: Invalid option: expected one of "required"|"optional"|""',
      "ALLOWED_HOSTNAMES.0: hostnames only: no scheme, port or path",
      "RATE_LIMIT_PERIOD_SECONDS: a whole number",
      "JWT_SECRET: set exactly one of JWT_SECRET (HS256) or JWT_JWKS_URL",
      "JWT_SECRET: must be at least 32 bytes",
    ]);
    expect(run.stderr).toMatch(/Fix .*token-validation\.vars .*then restart `pnpm dev`\./);
    for (const output of [run.stdout, run.stderr]) {
      expect(output).not.toContain(SECRET);
      expect(output).not.toContain("too-short-dev-secret");
    }
  });

  it("oauth-proxy: a broken .dev.vars → exit 1, every problem named at once", async () => {
    const file = devVars("oauth-proxy.vars", [
      'PUBLIC_ORIGIN="http://localhost:8789/mcp"',
      'UPSTREAM="oidc"',
      'UPSTREAM_ISSUER=""',
      'UPSTREAM_CLIENT_ID="mcp-oauth-proxy"',
      'UPSTREAM_CLIENT_SECRET=""',
      `ALLOW_INSECURE_HTTP_LOOPBACK="${SECRET}"`,
    ]);
    const run = await check("oauth-proxy", file);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("✗ oauth-proxy not started: its configuration has 4 problems");
    expect(problems(run)).toEqual([
      'ALLOW_INSECURE_HTTP_LOOPBACK: Invalid option: expected one of "true"|"false"|""',
      "PUBLIC_ORIGIN: an origin only: no path, query or fragment",
      // For dev the fix is a line in .dev.vars; the deploy one comes second.
      `UPSTREAM_CLIENT_SECRET: required: add UPSTREAM_CLIENT_SECRET="…" to ${file} (deployed: \`wrangler secret put UPSTREAM_CLIENT_SECRET\`)`,
      "UPSTREAM_ISSUER: required when UPSTREAM=oidc",
    ]);
    expect(run.stdout + run.stderr).not.toContain(SECRET);
  });

  it("no-auth: a broken .dev.vars → exit 1, both problems named", async () => {
    const file = devVars("no-auth.vars", ['ANONYMOUS_SCOPES="notes:read admin"', 'RATE_LIMIT_PERIOD_SECONDS="0"']);
    const run = await check("no-auth", file);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("✗ no-auth not started: its configuration has 2 problems");
    expect(problems(run)).toEqual([
      "ANONYMOUS_SCOPES: 1 unknown scope; allowed: notes:read notes:write",
      "RATE_LIMIT_PERIOD_SECONDS: Too small: expected number to be >=1",
    ]);
  });

  it.each(["no-auth", "token-validation", "oauth-proxy"])(
    "%s: its .dev.vars.example (what a fresh clone starts with) → exit 0, nothing printed",
    async (app) => {
      const example = join(REPO, "apps", app, ".dev.vars.example");
      const run = await check(app, devVars(`${app}.example`, [readFileSync(example, "utf8")]));
      expect(run).toEqual({ code: 0, stdout: "", stderr: "" });
    },
  );

  it("oauth-proxy: a loopback PUBLIC_ORIGIN on another port than its dev port → exit 1, the fix named", async () => {
    const example = readFileSync(join(REPO, "apps", "oauth-proxy", ".dev.vars.example"), "utf8");
    const file = devVars("oauth-proxy-port.vars", [
      example.replace('PUBLIC_ORIGIN="http://localhost:8789"', 'PUBLIC_ORIGIN="http://localhost:8788"'),
    ]);
    expect(readFileSync(file, "utf8")).toContain('PUBLIC_ORIGIN="http://localhost:8788"');
    const run = await check("oauth-proxy", file);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("✗ oauth-proxy not started: its configuration has 1 problem");
    expect(problems(run)).toEqual([
      'PUBLIC_ORIGIN: port 8788 is not this app\'s dev port 8789 (every request would be 403 "this server answers on … only"): set PUBLIC_ORIGIN="http://localhost:8789"',
    ]);
  });

  it("an app whose dev block leaves the inspector port to wrangler, or shares a port with another app → exit 1, both named", async () => {
    // Two apps side by side, as under apps/: `one` is no-auth with a dev block of its own.
    const apps = join(scratch, "apps");
    const config = readFileSync(join(REPO, "apps", "no-auth", "wrangler.jsonc"), "utf8");
    const dev = /"dev": \{[^}]*\}/;
    expect(config).toMatch(dev);
    for (const [name, block] of [
      ["one", '"dev": { "port": 8788 }'],
      ["two", '"dev": { "port": 8788, "inspector_port": 9288 }'],
    ] as const) {
      mkdirSync(join(apps, name), { recursive: true });
      writeFileSync(join(apps, name, "wrangler.jsonc"), config.replace(dev, block));
    }
    for (const linked of ["node_modules", "src", "package.json"]) {
      symlinkSync(join(REPO, "apps", "no-auth", linked), join(apps, "one", linked));
    }
    copyFileSync(join(REPO, "apps", "no-auth", ".dev.vars.example"), join(apps, "one", ".dev.vars.example"));
    const run = await check("one", devVars("one.vars", [""]), apps);
    expect(run.code).toBe(1);
    expect(problems(run)).toEqual([
      "wrangler.jsonc dev.port: 8788 is also two's dev.port: give it a port of its own",
      "wrangler.jsonc dev.inspector_port: not set: give it a port of its own (the root README's ports table)",
    ]);
  });

  it("every app's dev ports are fixed, distinct, and listed in the root README's ports table", () => {
    const readme = readFileSync(join(REPO, "README.md"), "utf8");
    const seen = new Set<number>([8791]);
    for (const app of ["no-auth", "token-validation", "oauth-proxy", "full-oauth-provider"]) {
      const config = readFileSync(join(REPO, "apps", app, "wrangler.jsonc"), "utf8");
      const match = /"dev": \{ "port": (\d+), "inspector_port": (\d+) \}/.exec(config);
      expect(match, `${app}/wrangler.jsonc dev block`).not.toBeNull();
      const [port, inspector] = [Number(match?.[1]), Number(match?.[2])];
      for (const taken of [port, inspector]) {
        expect(seen.has(taken), `${app}: port ${taken} is used twice`).toBe(false);
        seen.add(taken);
      }
      expect(readme).toMatch(new RegExp(`\\[\`apps/${app}\`\\][^\\n]*\\| ${port} +\\| ${inspector} +\\|`));
    }
  });
});

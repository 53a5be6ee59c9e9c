import { spawn } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bindingsConfigFile } from "@mcp-auth/dev-harness";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type AppName, REPO, type WranglerConfig, readJsonc } from "../lib/apps.ts";
import { type Io, main } from "../lib/cli.ts";
import type { DeployState } from "../lib/deploy-config.ts";
import type { FakeAccount } from "./fake-wrangler.ts";

let root: string;
let out: string;
let env: NodeJS.ProcessEnv;
/** The fake wrangler's log and account (see fake-wrangler.ts). */
let log: string;
let accountFile: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "deploy-test-"));
  out = join(root, "app");
  mkdirSync(out);
  const bin = join(root, "bin");
  mkdirSync(bin);
  const shim = join(bin, "wrangler");
  writeFileSync(
    shim,
    `#!/bin/sh\nexec '${process.execPath}' '${join(import.meta.dirname, "fake-wrangler.ts")}' "$@"\n`,
  );
  chmodSync(shim, 0o755);
  log = join(root, "wrangler.log");
  accountFile = join(root, "account.json");
  env = {
    PATH: `${bin}:${process.env["PATH"] ?? ""}`,
    INIT_CWD: REPO,
    FAKE_WRANGLER_LOG: log,
    FAKE_WRANGLER_ACCOUNT: accountFile,
  };
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

/** Every wrangler command run so far (argv words, the config path shortened), and what each read on stdin. */
function commands(): { args: string; stdin?: string }[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { args: string[]; stdin?: string })
    .map(({ args, stdin }) => ({
      args: args.join(" ").replaceAll(join(out, "wrangler.deploy.jsonc"), "CONFIG"),
      ...(stdin === undefined ? {} : { stdin }),
    }));
}
const argsOf = () => commands().map((command) => command.args);
const account = () => JSON.parse(readFileSync(accountFile, "utf8")) as FakeAccount;
const state = () => JSON.parse(readFileSync(join(out, ".deploy-state.json"), "utf8")) as DeployState;
const deployConfig = () => readJsonc(join(out, "wrangler.deploy.jsonc")) as WranglerConfig;

/** The command in-process, with the fake wrangler first on PATH and a smoke test that passes. */
async function run(argv: string[], extra: Partial<Io> & { env?: NodeJS.ProcessEnv } = {}) {
  const lines: string[] = [];
  const errors: string[] = [];
  const smoked: string[] = [];
  const code = await main(argv, {
    dir: () => out,
    smoke: (app, origin) => {
      smoked.push(`${app} ${origin}`);
      return Promise.resolve({ ok: true, checks: [{ name: "GET /", ok: true, detail: "200" }], warnings: [] });
    },
    ...extra,
    env: { ...env, ...extra.env },
    out: (line) => lines.push(line),
    err: (line) => errors.push(line),
  });
  return { code, out: lines.join("\n"), err: errors.join("\n"), smoked };
}

/** Every file under `dir`, read as text. */
const filesUnder = (dir: string): string =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => readFileSync(join(entry.parentPath, entry.name), "utf8"))
    .join("\n");

const FULL = "full-oauth-provider" satisfies AppName;
const FIRST_DEPLOY = [
  "kv namespace list",
  "kv namespace create mcp-full-oauth-provider-OAUTH_KV",
  "d1 list --json",
  "d1 create mcp-full-oauth-provider",
  "d1 migrations apply DB --remote --config CONFIG",
  "secret list --config CONFIG --format json",
  "secret put PASSWORD_PEPPER --config CONFIG",
  "secret put SESSION_SECRET --config CONFIG",
  "deploy --config CONFIG",
];

describe("a first deploy, a rerun, teardown (against a fake wrangler)", () => {
  it("first deploy: provisions, sets the secrets on stdin only, deploys, smoke-tests, in this order", async () => {
    const result = await run([FULL, "--workers-dev", "example-team", "--generate-secrets"]);
    expect(result.err).toBe("");
    expect(result.code).toBe(0);
    expect(argsOf()).toEqual(FIRST_DEPLOY);
    const origin = "https://mcp-full-oauth-provider.example-team.workers.dev";
    expect(result.smoked).toEqual([`${FULL} ${origin}`]);
    expect(result.out).toContain(
      "   ✓ PASSWORD_PEPPER set (generated: 32 random bytes, shown nowhere and stored only on the Worker)",
    );
    expect(result.out).toContain(
      `   next: invite the first person (prints their one-time link): npm run users -- invite --email EMAIL --name NAME --remote --origin ${origin}`,
    );
    // The values went to `secret put` on stdin, and nowhere else: not in argv, output or any file deploy wrote.
    const values = commands()
      .filter((command) => command.args.startsWith("secret put"))
      .map((command) => command.stdin ?? "");
    expect(values).toHaveLength(2);
    for (const value of values) {
      expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(result.out + result.err).not.toContain(value);
      expect(filesUnder(out)).not.toContain(value);
    }
    // The deploy config: the account's ids, the production vars, workers.dev; it now passes preflight.
    const kvId = account().kv[0]?.id;
    const d1Id = account().d1[0]?.uuid;
    const config = deployConfig();
    expect(config.kv_namespaces).toEqual([{ binding: "OAUTH_KV", id: kvId }]);
    expect(config.d1_databases?.[0]?.database_id).toBe(d1Id);
    expect(config.vars?.["PUBLIC_ORIGIN"]).toBe(origin);
    expect(config.vars).not.toHaveProperty("ALLOW_INSECURE_HTTP_LOOPBACK");
    expect(config.workers_dev).toBe(true);
    expect(state()).toEqual({
      app: FULL,
      worker: "mcp-full-oauth-provider",
      kv: [{ binding: "OAUTH_KV", title: "mcp-full-oauth-provider-OAUTH_KV", id: kvId }],
      d1: [{ binding: "DB", name: "mcp-full-oauth-provider", id: d1Id }],
    });
    const check = await run([FULL, "--check"]);
    expect(check.out).toContain(`✓ ${FULL}: `);
    expect(check.code).toBe(0);
  });

  it("a rerun reuses everything: nothing created or set twice, vars kept", async () => {
    await run([
      FULL,
      "--workers-dev",
      "example-team",
      "--generate-secrets",
      "--var",
      "ALLOWED_ORIGINS=app.example.com",
    ]);
    const before = { account: account(), state: state() };
    writeFileSync(log, "");
    const again = await run([FULL]);
    expect(again.err).toBe("");
    expect(again.code).toBe(0);
    expect(argsOf()).toEqual([
      "kv namespace list",
      "d1 list --json",
      "d1 migrations apply DB --remote --config CONFIG",
      "secret list --config CONFIG --format json",
      "deploy --config CONFIG",
    ]);
    expect(again.out).toContain("   ✓ KV OAUTH_KV: reused mcp-full-oauth-provider-OAUTH_KV");
    expect(again.out).toContain("   ✓ PASSWORD_PEPPER already set");
    expect(account()).toEqual(before.account);
    expect(state()).toEqual(before.state);
    expect(deployConfig().vars?.["ALLOWED_ORIGINS"]).toBe("app.example.com");
    expect(deployConfig().vars?.["PUBLIC_ORIGIN"]).toBe("https://mcp-full-oauth-provider.example-team.workers.dev");
  });

  it("a failure midway says what failed; the rerun keeps what was created and goes on", async () => {
    const failed = await run([FULL, "--origin", "https://mcp.example.com", "--generate-secrets"], {
      env: { FAKE_WRANGLER_FAIL: "d1 create" },
    });
    expect(failed.code).toBe(1);
    expect(failed.err).toContain("✗ `wrangler d1 create mcp-full-oauth-provider` failed:");
    expect(failed.err).toContain("✘ [ERROR] A request to the Cloudflare API failed. [code: 10000]");
    expect(failed.err).toContain(
      "  Fix that, then run deploy again: what was created so far is kept (.deploy-state.json) and reused.",
    );
    expect(state().kv).toHaveLength(1);
    expect(state().d1).toEqual([]);
    expect(argsOf()).not.toContain("deploy --config CONFIG");

    writeFileSync(log, "");
    const rerun = await run([FULL, "--generate-secrets"]);
    expect(rerun.err).toBe("");
    expect(rerun.code).toBe(0);
    expect(argsOf()).toEqual(FIRST_DEPLOY.filter((args) => !args.startsWith("kv namespace create")));
    expect(account().kv).toHaveLength(1);
    expect(state().d1).toHaveLength(1);
    // A custom domain: a route, not workers.dev.
    expect(deployConfig().routes).toEqual([{ pattern: "mcp.example.com", custom_domain: true }]);
    expect(deployConfig().workers_dev).toBe(false);
  });

  it("a list command that prints no JSON is a clear failure, not a crash, and nothing is created", async () => {
    const result = await run([FULL, "--workers-dev", "example-team", "--generate-secrets"], {
      env: { FAKE_WRANGLER_GARBLE: "kv namespace list" },
    });
    expect(result.code).toBe(1);
    expect(result.err).toContain("✗ `wrangler kv namespace list` failed:\n    printed no JSON list:");
    expect(result.err).toContain("▲ [WARNING] You are logged in with an API token that has expired.");
    expect(argsOf()).toEqual(["kv namespace list"]);
  });

  it("teardown removes exactly what deploy created, after --yes; a reused namespace stays", async () => {
    writeFileSync(
      accountFile,
      JSON.stringify({ kv: [{ id: "ab".repeat(16), title: "mcp-oauth-proxy-OAUTH_KV" }], d1: [], workers: {} }),
    );
    const deployed = await run(
      ["oauth-proxy", "--workers-dev", "example-team", "--var", "UPSTREAM_ISSUER=https://login.example.com"],
      { env: { UPSTREAM_CLIENT_SECRET: "a-client-secret-from-the-idp-console", UPSTREAM_CLIENT_ID: "ignored" } },
    );
    expect(deployed.err).toContain("UPSTREAM_CLIENT_ID: required");
    expect(deployed.code).toBe(1);
    expect(commands()).toEqual([]);

    const ok = await run(
      [
        "oauth-proxy",
        "--workers-dev",
        "example-team",
        "--var",
        "UPSTREAM_ISSUER=https://login.example.com",
        "--var",
        "UPSTREAM_CLIENT_ID=mcp-oauth-proxy",
      ],
      { env: { UPSTREAM_CLIENT_SECRET: "a-client-secret-from-the-idp-console" } },
    );
    expect(ok.err).toBe("");
    expect(ok.out).toContain("   ✓ UPSTREAM_CLIENT_SECRET set (the environment)");
    expect(state()).toEqual({ app: "oauth-proxy", worker: "mcp-oauth-proxy", kv: [], d1: [] });

    const refused = await run(["oauth-proxy", "--teardown"]);
    expect(refused).toMatchObject({
      code: 2,
      err: "deploy: --teardown removes these for good: add --yes (no terminal to ask on)",
    });
    const declined = await run(["oauth-proxy", "--teardown"], { ask: () => Promise.resolve("n") });
    expect(declined.code).toBe(1);
    expect(declined.err).toBe("deploy: nothing removed");
    expect(account().workers).toHaveProperty("mcp-oauth-proxy");

    writeFileSync(log, "");
    const removed = await run(["oauth-proxy", "--teardown", "--yes"]);
    expect(removed.code).toBe(0);
    expect(removed.out).toContain("  Worker mcp-oauth-proxy (and its secrets)");
    expect(argsOf()).toEqual(["delete mcp-oauth-proxy"]);
    expect(account()).toEqual({
      kv: [{ id: "ab".repeat(16), title: "mcp-oauth-proxy-OAUTH_KV" }],
      d1: [],
      workers: {},
    });
    expect(existsSync(join(out, ".deploy-state.json"))).toBe(false);
    expect((await run(["oauth-proxy", "--teardown", "--yes"])).out).toBe(
      "oauth-proxy: nothing to remove (.deploy-state.json records nothing deploy created)",
    );
  });

  it("teardown of a full deploy: the Worker, the namespace, the database, in that order", async () => {
    await run([FULL, "--workers-dev", "example-team", "--generate-secrets"]);
    const kvId = account().kv[0]?.id;
    writeFileSync(log, "");
    const removed = await run([FULL, "--teardown"], { ask: () => Promise.resolve("y") });
    expect(removed.code).toBe(0);
    expect(argsOf()).toEqual([
      "delete mcp-full-oauth-provider",
      `kv namespace delete --namespace-id ${kvId} --skip-confirmation`,
      "d1 delete mcp-full-oauth-provider --skip-confirmation",
    ]);
    expect(account()).toEqual({ kv: [], d1: [], workers: {} });
    // The deploy config keeps the vars; its ids are placeholders again, so preflight says so.
    expect(deployConfig().vars?.["PUBLIC_ORIGIN"]).toBe("https://mcp-full-oauth-provider.example-team.workers.dev");
    const check = await run([FULL, "--check"]);
    expect(check.code).toBe(1);
    expect(check.err).toContain("  ✗ kv_namespaces OAUTH_KV: id is the placeholder of wrangler.jsonc");
  });
});

describe("secrets", () => {
  it("no value and no terminal: stops before setting anything, saying how to give each", async () => {
    const result = await run([
      "oauth-proxy",
      "--workers-dev",
      "example-team",
      "--generate-secrets",
      "--var",
      "UPSTREAM_ISSUER=https://login.example.com",
      "--var",
      "UPSTREAM_CLIENT_ID=mcp-oauth-proxy",
    ]);
    expect(result.code).toBe(1);
    expect(result.err).toContain("✗ no value for UPSTREAM_CLIENT_SECRET. Give each one of:");
    expect(result.err).toContain(
      "  UPSTREAM_CLIENT_SECRET is issued by the identity provider (the app's README says where)",
    );
    expect(argsOf().filter((args) => args.startsWith("secret put") || args.startsWith("deploy"))).toEqual([]);
  });

  it("--generate-secrets never makes up a secret another party must hold (token-validation's HS256 JWT_SECRET)", async () => {
    const result = await run(
      [
        "token-validation",
        "--origin",
        "https://notes.example.com",
        "--generate-secrets",
        "--var",
        "JWT_ISSUER=https://auth.example.com/",
        "--var",
        "JWT_AUDIENCE=https://notes.example.com/mcp",
      ],
      {},
    );
    expect(result.code).toBe(1);
    expect(result.err).toContain("✗ no value for JWT_SECRET. Give each one of:");
    expect(result.err).toContain("  JWT_SECRET is shared with whoever signs your tokens: use their value");
    expect(argsOf().filter((args) => args.startsWith("secret put"))).toEqual([]);
  });

  it("a dev value from --secrets-from is refused before anything is created, the value never printed", async () => {
    const file = join(root, "secrets.env");
    writeFileSync(
      file,
      'PASSWORD_PEPPER="dev-only-password-pepper-0123456789abcdef"\nSESSION_SECRET="a-real-session-secret-of-forty-characters!"\n',
    );
    const result = await run([FULL, "--workers-dev", "example-team", "--secrets-from", file]);
    expect(result.code).toBe(1);
    expect(result.err).toContain("✗ full-oauth-provider: 1 problem; nothing was created");
    expect(result.err).toContain("  ✗ PASSWORD_PEPPER: is a dev value from .dev.vars.example (public in git)");
    expect(result.err + result.out).not.toContain("dev-only-password-pepper");
    expect(commands()).toEqual([]);
  });

  it("typed on a terminal (pseudo-terminal): not echoed, on wrangler's stdin only, nothing on disk", async () => {
    const typed = {
      PASSWORD_PEPPER: "typed-pepper-value-0123456789-abcdefghij",
      SESSION_SECRET: "typed-session-value-0123456789-abcdefghij",
    };
    const command = [
      process.execPath,
      join(REPO, "deploy", "run.ts"),
      FULL,
      "--workers-dev",
      "example-team",
      "--no-smoke",
    ]
      .map((word) => `'${word}'`)
      .join(" ");
    // util-linux `script` gives the command a terminal; each value is typed once its prompt shows
    // (typed earlier, the terminal itself would echo it before deploy turns echo off).
    const child = spawn("script", ["-qec", command, "/dev/null"], {
      cwd: REPO,
      env: { ...process.env, ...env, MCP_DEPLOY_DIR: out },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let output = "";
    const answered = new Set<string>();
    const onOutput = (chunk: string) => {
      output += chunk;
      for (const [name, value] of Object.entries(typed)) {
        if (!answered.has(name) && output.includes(`${name} (typed, not shown): `)) {
          answered.add(name);
          child.stdin.write(`${value}\r`);
        }
      }
    };
    child.stdout.setEncoding("utf8").on("data", onOutput);
    child.stderr.setEncoding("utf8").on("data", onOutput);
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    child.stdin.end();
    expect(output).toContain("   ✓ PASSWORD_PEPPER set (typed)");
    expect(output).toContain("   ✓ SESSION_SECRET set (typed)");
    expect(output).not.toContain(typed.PASSWORD_PEPPER);
    expect(output).not.toContain(typed.SESSION_SECRET);
    expect(code).toBe(0);
    const puts = commands().filter((entry) => entry.args.startsWith("secret put"));
    expect(puts).toEqual([
      { args: "secret put PASSWORD_PEPPER --config CONFIG", stdin: typed.PASSWORD_PEPPER },
      { args: "secret put SESSION_SECRET --config CONFIG", stdin: typed.SESSION_SECRET },
    ]);
    expect(filesUnder(out)).not.toContain(typed.PASSWORD_PEPPER);
  });
});

describe("first admin", () => {
  it("full-oauth-provider with --admin-email/--admin-name runs users invite --remote on the deployed origin", async () => {
    const invited: string[][] = [];
    const result = await run(
      [
        FULL,
        "--origin",
        "https://mcp.example.com",
        "--generate-secrets",
        "--admin-email",
        "ada@example.com",
        "--admin-name",
        "Ada",
      ],
      {
        users: (args) => {
          invited.push(args);
          return Promise.resolve(0);
        },
      },
    );
    expect(result.code).toBe(0);
    expect(invited).toEqual([
      ["invite", "--email", "ada@example.com", "--name", "Ada", "--remote", "--origin", "https://mcp.example.com"],
    ]);
  });

  it("users --remote (the admin CLI) opens the deploy config's ids, not wrangler.jsonc's placeholders", async () => {
    expect(bindingsConfigFile(out, true)).toBe(join(out, "wrangler.jsonc"));
    await run([FULL, "--workers-dev", "example-team", "--generate-secrets"]);
    expect(bindingsConfigFile(out, true)).toBe(join(out, "wrangler.deploy.jsonc"));
    expect(bindingsConfigFile(out, false)).toBe(join(out, "wrangler.jsonc"));
  });

  it("--json: one record on stdout (no secret in it), the narration on stderr", async () => {
    const result = await run([FULL, "--workers-dev", "example-team", "--generate-secrets", "--json"]);
    expect(result.code).toBe(0);
    const record = JSON.parse(result.out) as { worker: string; origin: string; secretsSet: string[]; smoke: boolean };
    expect(record).toMatchObject({
      worker: "mcp-full-oauth-provider",
      origin: "https://mcp-full-oauth-provider.example-team.workers.dev",
      secretsSet: ["PASSWORD_PEPPER", "SESSION_SECRET"],
      smoke: true,
    });
    expect(result.err).toContain("4. deploy");
    for (const command of commands().filter((entry) => entry.args.startsWith("secret put"))) {
      expect(result.out + result.err).not.toContain(command.stdin ?? "(none)");
    }
  });

  it("a failing smoke test fails the deploy (exit 1) with its checks printed", async () => {
    const result = await run([FULL, "--workers-dev", "example-team", "--generate-secrets"], {
      smoke: () =>
        Promise.resolve({
          ok: false,
          checks: [{ name: "GET /mcp", ok: false, detail: "500", fix: "wrangler tail" }],
          warnings: [],
        }),
    });
    expect(result.code).toBe(1);
    expect(result.out).toContain("   ✗ GET /mcp: 500 (fix: wrangler tail)");
    expect(result.err).toContain("✗ deployed, but the live URL fails the smoke test");
  });
});

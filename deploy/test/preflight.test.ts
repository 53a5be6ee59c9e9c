import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { APPS, type AppName, REPO, type WranglerConfig, readJsonc } from "../lib/apps.ts";
import { main } from "../lib/cli.ts";
import { type Problem, preflight } from "../lib/preflight.ts";

const sample = (app: AppName) => readJsonc(join(REPO, "deploy", "samples", `${app}.jsonc`)) as WranglerConfig;

/** The sample of `app` with `change` applied to a copy. */
function broken(app: AppName, change: (config: WranglerConfig) => void): WranglerConfig {
  const config = structuredClone(sample(app));
  change(config);
  return config;
}

/** `name: problem` of each finding, the way the tests compare them. */
const named = (problems: Problem[]) => problems.map((problem) => `${problem.name}: ${problem.problem}`);

/** Runs the command in-process, collecting what it prints. */
async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, {
    env: { INIT_CWD: REPO },
    out: (line) => out.push(line),
    err: (line) => err.push(line),
  });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("preflight: the samples (what CI runs for every app)", () => {
  it.each(APPS)("%s: its sample passes --check (exit 0)", async (app) => {
    const { code, out, err } = await run([app, "--check", "--config", `deploy/samples/${app}.jsonc`]);
    expect(err).toBe("");
    expect(out).toContain(`✓ ${app}: deploy/samples/${app}.jsonc passes preflight`);
    expect(code).toBe(0);
  });

  it("names the secrets each app's schema requires (offline: not checked on the Worker)", async () => {
    expect((await preflight("full-oauth-provider", sample("full-oauth-provider"))).requiredSecrets).toEqual([
      "PASSWORD_PEPPER",
      "SESSION_SECRET",
    ]);
    expect((await preflight("oauth-proxy", sample("oauth-proxy"))).requiredSecrets).toEqual(["UPSTREAM_CLIENT_SECRET"]);
    expect((await preflight("no-auth", sample("no-auth"))).requiredSecrets).toEqual([]);
    // JWT with a JWKS URL needs no JWT_SECRET; with neither, the schema asks for one.
    expect((await preflight("token-validation", sample("token-validation"))).requiredSecrets).toEqual([]);
    const hs256 = broken("token-validation", (config) => {
      config.vars = { ...config.vars, JWT_JWKS_URL: "", JWT_ALGORITHMS: "" };
    });
    expect((await preflight("token-validation", hs256)).requiredSecrets).toEqual(["JWT_SECRET"]);
  });
});

describe("preflight: each bad case is named with its fix", () => {
  it("the committed wrangler.jsonc (dev placeholders) fails with exit 1 and one line per problem", async () => {
    const { code, err } = await run([
      "full-oauth-provider",
      "--check",
      "--config",
      "apps/full-oauth-provider/wrangler.jsonc",
    ]);
    expect(code).toBe(1);
    expect(err).toContain("✗ full-oauth-provider: apps/full-oauth-provider/wrangler.jsonc has 3 problems");
    expect(err).toContain("  ✗ kv_namespaces OAUTH_KV: id is the placeholder of wrangler.jsonc");
    expect(err).toContain("  ✗ d1_databases DB: database_id is the placeholder of wrangler.jsonc");
    expect(err).toContain("  ✗ PUBLIC_ORIGIN: required: the origin clients use, e.g. https://mcp.example.com");
    expect(err).toContain(
      "      fix: pass --origin https://<your domain> or --workers-dev <your subdomain> to `npm run deploy -- full-oauth-provider`",
    );
  });

  it("a placeholder or malformed KV id, a placeholder D1 id", async () => {
    const kv = broken("oauth-proxy", (config) => {
      config.kv_namespaces = [{ binding: "OAUTH_KV", id: "00000000000000000000000000000000" }];
    });
    const result = await preflight("oauth-proxy", kv);
    expect(named(result.problems)).toEqual(["kv_namespaces OAUTH_KV: id is the placeholder of wrangler.jsonc"]);
    expect(result.problems[0]?.fix).toContain("wrangler kv namespace create mcp-oauth-proxy-OAUTH_KV");
    const malformed = broken("oauth-proxy", (config) => {
      config.kv_namespaces = [{ binding: "OAUTH_KV", id: "my-namespace" }];
    });
    expect(named((await preflight("oauth-proxy", malformed)).problems)).toEqual([
      "kv_namespaces OAUTH_KV: id is not a KV namespace id",
    ]);
    const d1 = broken("token-validation", (config) => {
      config.d1_databases = config.d1_databases?.map((db) => ({
        ...db,
        database_id: "00000000-0000-0000-0000-000000000000",
      }));
    });
    const d1Result = await preflight("token-validation", d1);
    expect(named(d1Result.problems)).toEqual([
      "d1_databases KEYS_DB: database_id is the placeholder of wrangler.jsonc",
    ]);
    expect(d1Result.problems[0]?.fix).toContain("wrangler d1 create mcp-token-validation-keys");
  });

  it("PUBLIC_ORIGIN over http, or not where the config serves the Worker", async () => {
    const http = broken("full-oauth-provider", (config) => {
      config.vars = { ...config.vars, PUBLIC_ORIGIN: "http://mcp.example.com" };
    });
    expect(named((await preflight("full-oauth-provider", http)).problems)).toEqual([
      "PUBLIC_ORIGIN: not https (clients refuse OAuth over http)",
      "PUBLIC_ORIGIN: must be https without credentials (plain http only on a loopback host, with ALLOW_INSECURE_HTTP_LOOPBACK=true)",
    ]);
    const elsewhere = broken("full-oauth-provider", (config) => {
      config.vars = { ...config.vars, PUBLIC_ORIGIN: "https://auth.example.org" };
    });
    expect(named((await preflight("full-oauth-provider", elsewhere)).problems)).toEqual([
      "PUBLIC_ORIGIN: auth.example.org is not where this config serves the Worker (mcp.example.com)",
    ]);
    // workers.dev: the Worker's own name comes first.
    const otherWorker = broken("oauth-proxy", (config) => {
      config.vars = { ...config.vars, PUBLIC_ORIGIN: "https://mcp-other.example-team.workers.dev" };
    });
    expect(named((await preflight("oauth-proxy", otherWorker)).problems)).toEqual([
      "PUBLIC_ORIGIN: mcp-other.example-team.workers.dev is not where this config serves the Worker (mcp-oauth-proxy.<your subdomain>.workers.dev)",
    ]);
  });

  it("ALLOWED_HOSTNAMES without the custom domain or the workers.dev name (403 everywhere)", async () => {
    const noHost = broken("token-validation", (config) => {
      config.vars = { ...config.vars, ALLOWED_HOSTNAMES: "" };
    });
    expect(named((await preflight("token-validation", noHost)).problems)).toEqual([
      "ALLOWED_HOSTNAMES: lacks notes.example.com (the Worker answers 403 to every request there)",
    ]);
    const noWorkersDev = broken("no-auth", (config) => {
      config.vars = { ...config.vars, ALLOWED_HOSTNAMES: "mcp.example.com" };
    });
    expect(named((await preflight("no-auth", noWorkersDev)).problems)).toEqual([
      "ALLOWED_HOSTNAMES: lacks this Worker's workers.dev name mcp-no-auth.<your subdomain>.workers.dev (403 to every request there)",
    ]);
  });

  it("ALLOW_INSECURE_HTTP_LOOPBACK and a loopback issuer (dev-only values)", async () => {
    const flag = broken("oauth-proxy", (config) => {
      config.vars = { ...config.vars, ALLOW_INSECURE_HTTP_LOOPBACK: "true" };
    });
    const flagged = await preflight("oauth-proxy", flag);
    expect(named(flagged.problems)).toEqual([
      "ALLOW_INSECURE_HTTP_LOOPBACK: is a local development setting (plain http on loopback)",
    ]);
    expect(flagged.problems[0]?.fix).toBe("remove it from vars in wrangler.deploy.jsonc");
    const issuer = broken("oauth-proxy", (config) => {
      config.vars = { ...config.vars, UPSTREAM_ISSUER: "http://127.0.0.1:8791" };
    });
    expect(named((await preflight("oauth-proxy", issuer)).problems)).toEqual([
      "UPSTREAM_ISSUER: names a loopback address (this machine, not the deployed Worker's)",
      "UPSTREAM_ISSUER: must be https without credentials (plain http only on a loopback host, with ALLOW_INSECURE_HTTP_LOOPBACK=true)",
    ]);
    // https on loopback passes the schema, not preflight.
    const audience = broken("token-validation", (config) => {
      config.vars = { ...config.vars, JWT_AUDIENCE: "https://localhost:8788/mcp" };
    });
    expect(named((await preflight("token-validation", audience)).problems)).toEqual([
      "JWT_AUDIENCE: names a loopback address (this machine, not the deployed Worker's)",
    ]);
  });

  it("the dev pepper, the dev NOTES_ADMIN_SECRET, a dev client secret: refused, never echoed", async () => {
    const secrets = new Map([
      ["PASSWORD_PEPPER", "dev-only-password-pepper-0123456789abcdef"],
      ["SESSION_SECRET", "a-real-session-secret-of-forty-characters!"],
      ["NOTES_ADMIN_SECRET", "dev-only-notes-admin-secret-full-oauth-provider-0123456789"],
    ]);
    const result = await preflight("full-oauth-provider", sample("full-oauth-provider"), { secrets });
    expect(named(result.problems)).toEqual([
      "PASSWORD_PEPPER: is a dev value from .dev.vars.example (public in git)",
      "NOTES_ADMIN_SECRET: is a dev value from .dev.vars.example (public in git)",
    ]);
    expect(result.problems[0]?.fix).toContain("randomBytes(32)");
    expect(JSON.stringify(result)).not.toContain("dev-only-password-pepper");
    const client = await preflight("oauth-proxy", sample("oauth-proxy"), {
      secrets: new Map([["UPSTREAM_CLIENT_SECRET", "dev-only-mcp-oauth-proxy-secret"]]),
    });
    expect(named(client.problems)).toEqual([
      "UPSTREAM_CLIENT_SECRET: is a dev value from .dev.vars.example (public in git)",
    ]);
  });

  it("a secret's own rule applies to the value given (a short pepper)", async () => {
    const result = await preflight("full-oauth-provider", sample("full-oauth-provider"), {
      secrets: new Map([["PASSWORD_PEPPER", "short"]]),
    });
    expect(named(result.problems)).toEqual([
      "PASSWORD_PEPPER: at least 32 characters (a random value from a password manager)",
    ]);
    expect(JSON.stringify(result)).not.toContain('"short"');
  });

  it("a secret written in vars", async () => {
    const config = broken("full-oauth-provider", (config) => {
      config.vars = { ...config.vars, SESSION_SECRET: "a-real-session-secret-of-forty-characters!" };
    });
    const result = await preflight("full-oauth-provider", config);
    expect(named(result.problems)).toEqual(["SESSION_SECRET: is a secret, set here in plain text in vars"]);
    expect(result.problems[0]?.fix).toBe(
      "remove it from vars in wrangler.deploy.jsonc; set it with `wrangler secret put SESSION_SECRET`",
    );
  });

  it("a required secret the Worker lacks (online: `wrangler secret list`)", async () => {
    const result = await preflight("full-oauth-provider", sample("full-oauth-provider"), {
      deployedSecrets: ["SESSION_SECRET"],
    });
    expect(named(result.problems)).toEqual(["PASSWORD_PEPPER: required secret, not set on the Worker"]);
    const all = await preflight("full-oauth-provider", sample("full-oauth-provider"), {
      deployedSecrets: ["PASSWORD_PEPPER", "SESSION_SECRET"],
    });
    expect(all.problems).toEqual([]);
  });

  it("a var the app's schema refuses, and one it requires", async () => {
    const config = broken("oauth-proxy", (config) => {
      config.vars = { ...config.vars, UPSTREAM: "myspace", UPSTREAM_CLIENT_ID: "" };
    });
    const problems = named((await preflight("oauth-proxy", config)).problems);
    expect(problems).toContain("UPSTREAM_CLIENT_ID: required: the client id this server has at the upstream IdP");
    expect(problems.some((line) => line.startsWith("UPSTREAM: Invalid option"))).toBe(true);
  });

  it("a deploy config out of date with wrangler.jsonc (a new Durable Object migration)", async () => {
    const stale = broken("no-auth", (config) => {
      config.migrations = [];
    });
    const result = await preflight("no-auth", stale);
    expect(named(result.problems)).toEqual([
      "migrations: differs from the app's wrangler.jsonc (the deploy config is out of date)",
    ]);
    expect(result.problems[0]?.fix).toContain("run `npm run deploy -- no-auth` again");
  });

  it("a config served nowhere (workers_dev false, no route)", async () => {
    const nowhere = broken("no-auth", (config) => {
      config.workers_dev = false;
    });
    expect(named((await preflight("no-auth", nowhere)).problems)).toContain(
      "routes: the Worker is served nowhere: no route or custom domain, and workers_dev is false",
    );
  });
});

describe("the command line", () => {
  it.each([
    [[], "deploy: name the app to deploy"],
    [["no-such-app"], "deploy: no app called no-such-app"],
    [
      ["no-auth", "--origin", "http://x.example.com"],
      "deploy: --origin is an https origin such as https://mcp.example.com (no path)",
    ],
    [
      ["no-auth", "--origin", "https://a.example.com", "--workers-dev", "team"],
      "deploy: --origin or --workers-dev, not both",
    ],
    [
      ["no-auth", "--admin-email", "a@example.com", "--admin-name", "A"],
      "deploy: --admin-email is for full-oauth-provider (the only app with its own users)",
    ],
    [["no-auth", "--var", "lower=1"], "deploy: --var lower=1: NAME=VALUE"],
    [
      ["no-auth", "--check", "--config", "deploy/samples/none.jsonc"],
      "deploy: --config deploy/samples/none.jsonc: no such file",
    ],
  ])("usage error %j: exit 2, the message first", async (argv, message) => {
    const { code, err, out } = await run(argv);
    expect(code).toBe(2);
    expect(err.split("\n")[0]).toBe(message);
    expect(out).toBe("");
  });

  it("--check --json is one record with every problem", async () => {
    const { code, out } = await run(["oauth-proxy", "--check", "--json", "--workers-dev", "example-team"]);
    expect(code).toBe(1);
    const record = JSON.parse(out) as { ok: boolean; problems: Problem[]; requiredSecrets: string[] };
    expect(record.ok).toBe(false);
    expect(named(record.problems)).toEqual([
      "kv_namespaces OAUTH_KV: id is the placeholder of wrangler.jsonc",
      "UPSTREAM_CLIENT_ID: required: the client id this server has at the upstream IdP",
      "UPSTREAM_ISSUER: required when UPSTREAM=oidc",
    ]);
    expect(record.requiredSecrets).toEqual(["UPSTREAM_CLIENT_SECRET"]);
  });
});

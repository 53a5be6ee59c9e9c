// The deploy itself (provision, secrets, deploy, smoke test, first admin) and its teardown, each
// step through wrangler, each rerunnable: what exists is reused, what deploy created is recorded
// in the state file as soon as it exists, so a failure midway loses nothing and a rerun goes on.
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { relative } from "node:path";
import {
  type AppName,
  DEPLOY_CONFIG,
  DEPLOY_STATE,
  ISSUED_ELSEWHERE,
  REPO,
  type WranglerConfig,
  baseConfig,
  secretNames,
} from "./apps.ts";
import { type Io, type Options, UsageError, secretsFromFile, varsOf } from "./cli.ts";
import {
  type DeployState,
  addressOf,
  buildDeployConfig,
  deployPaths,
  originOf,
  readDeployConfig,
  readState,
  writeDeployConfig,
  varText,
  writtenDeployConfig,
  writeState,
} from "./deploy-config.ts";
import { type Problem, RANDOM_SECRET_COMMAND, preflight, problemLines } from "./preflight.ts";
import { smokeTest } from "./smoke.ts";
import { type Wrangler, WranglerError, jsonOf, wranglerFor } from "./wrangler.ts";

type Values = Options["values"];

/** A stop with a message (exit 1): what failed and what to do. */
class Stop extends Error {}

/** Problems of provisioning's concern: ids are what provisioning fills in. */
const isIdProblem = (problem: Problem) => /^(kv_namespaces|d1_databases) /.test(problem.name);

/** Where secret values came from, in words (never the value). */
type Source = "--secrets-from" | "the environment" | "generated" | "typed";

/** `deploy <app>`: preflight, provision, secrets, deploy, smoke test, first admin. */
export async function deploy(app: AppName, values: Values, io: Io, dir: string): Promise<number> {
  const say = (line: string) => {
    (values.json ? io.err : io.out)(line);
  };
  const paths = deployPaths(app, dir);
  const shown = relative(io.env["INIT_CWD"] ?? REPO, paths.config) || DEPLOY_CONFIG;
  const previous = readDeployConfig(paths.config);
  const base = baseConfig(app);
  const name = values.name ?? previous?.name ?? base.name;
  const origin =
    values.origin ??
    (values["workers-dev"] === undefined ? undefined : `https://${name}.${values["workers-dev"]}.workers.dev`);
  if (origin === undefined && previous === undefined) {
    throw new UsageError(
      "say where the Worker is served: --workers-dev SUBDOMAIN (your account's workers.dev subdomain) or --origin https://HOST (a custom domain in a zone of your account)",
    );
  }
  const state = readState(app, paths.state);
  const kvIds: Record<string, string> = {};
  const d1Ids: Record<string, string> = {};
  const inputs = () => ({
    name,
    ...(origin === undefined ? {} : { address: addressOf(origin, name) }),
    vars: varsOf(values.var),
    kvIds,
    d1Ids,
  });
  const save = () => {
    writeDeployConfig(paths.config, buildDeployConfig(app, dir, readDeployConfig(paths.config) ?? previous, inputs()));
    writeState(paths.state, state);
  };
  const wrangler = wranglerFor(app, dir, io.env);
  const given = secretsFromFile(values["secrets-from"], io.env["INIT_CWD"] ?? process.cwd());
  try {
    // 1. preflight, before anything is created: only the ids may be missing yet.
    save();
    say(`1. preflight ${shown}`);
    const first = await preflight(app, writtenDeployConfig(paths.config), { secrets: given });
    const blocking = first.problems.filter((problem) => !isIdProblem(problem));
    if (blocking.length > 0) {
      io.err(`✗ ${app}: ${blocking.length} ${blocking.length === 1 ? "problem" : "problems"}; nothing was created`);
      for (const line of problemLines(blocking)) io.err(line);
      io.err(`  Fix them (vars live in ${shown}; --var NAME=VALUE sets one), then run deploy again.`);
      return 1;
    }

    // 2. provision: KV namespaces and D1 databases, reused by id or name, else created.
    say("2. provision");
    await provision(app, name, wrangler, state, kvIds, d1Ids, say, save, writtenDeployConfig(paths.config));
    for (const database of base.d1_databases ?? []) {
      await wrangler(["d1", "migrations", "apply", database.binding, "--remote", "--config", paths.config]);
      say(`   ✓ D1 ${database.binding}: migrations applied (remote)`);
    }

    // 3. secrets: those the Worker lacks, from a file, the environment, a generator or the terminal.
    say("3. secrets");
    const listed = await wrangler(["secret", "list", "--config", paths.config, "--format", "json"], {
      allowFailure: true,
    });
    let deployed: string[];
    if (listed.code === 0) {
      deployed = jsonOf<{ name: string }>(listed, "wrangler secret list").map((secret) => secret.name);
    } else if (/10007|does not exist|not found/i.test(listed.stdout + listed.stderr)) {
      // No Worker yet: `secret put` creates it, so from here on deploy has created it.
      deployed = [];
      state.worker = name;
      save();
    } else {
      throw new WranglerError(`wrangler secret list --config ${DEPLOY_CONFIG}`, listed.stderr.trim());
    }
    const config = writtenDeployConfig(paths.config);
    const required = (await preflight(app, config)).requiredSecrets;
    const known = new Set(secretNames(app));
    const toSet = new Map<string, { value: string; source: Source }>();
    for (const [secret, value] of given) {
      if (known.has(secret) && !deployed.includes(secret)) toSet.set(secret, { value, source: "--secrets-from" });
    }
    const missing = required.filter((secret) => !deployed.includes(secret) && !toSet.has(secret));
    const unanswered: string[] = [];
    for (const secret of missing) {
      const fromEnv = io.env[secret];
      if (fromEnv !== undefined && fromEnv !== "") toSet.set(secret, { value: fromEnv, source: "the environment" });
      else if (values["generate-secrets"] && !ISSUED_ELSEWHERE.has(secret)) {
        toSet.set(secret, { value: randomBytes(32).toString("base64url"), source: "generated" });
      } else if (io.ask !== undefined) {
        const typed = await io.ask(`   ${secret} (typed, not shown): `, true);
        if (typed === "") unanswered.push(secret);
        else toSet.set(secret, { value: typed, source: "typed" });
      } else unanswered.push(secret);
    }
    if (unanswered.length > 0) {
      throw new Stop(
        [
          `✗ no value for ${unanswered.join(", ")}. Give each one of:`,
          `    a line NAME=value in a file passed as --secrets-from FILE (keep it out of git), or NAME in the environment (CI)`,
          ...(unanswered.some((secret) => !ISSUED_ELSEWHERE.has(secret))
            ? [`    --generate-secrets (random values; or make one: ${RANDOM_SECRET_COMMAND})`]
            : []),
          `    or run deploy on a terminal: it asks, without echo`,
          ...unanswered
            .filter((secret) => ISSUED_ELSEWHERE.has(secret))
            .map((secret) =>
              secret === "JWT_SECRET"
                ? `  ${secret} is shared with whoever signs your tokens: use their value`
                : `  ${secret} is issued by the identity provider (the app's README says where)`,
            ),
        ].join("\n"),
      );
    }
    const checked = await preflight(app, config, {
      secrets: new Map([...toSet].map(([secret, { value }]) => [secret, value])),
    });
    const refused = checked.problems.filter((problem) => toSet.has(problem.name));
    if (refused.length > 0) {
      throw new Stop([`✗ refused secret values (none was set):`, ...problemLines(refused)].join("\n"));
    }
    for (const [secret, { value, source }] of toSet) {
      await wrangler(["secret", "put", secret, "--config", paths.config], { input: value });
      deployed.push(secret);
      say(
        `   ✓ ${secret} set (${source}${source === "generated" ? ": 32 random bytes, shown nowhere and stored only on the Worker" : ""})`,
      );
    }
    for (const secret of required.filter((secret) => !toSet.has(secret))) say(`   ✓ ${secret} already set`);

    // 4. deploy, after a last preflight with the Worker's own secret list.
    say("4. deploy");
    const last = await preflight(app, writtenDeployConfig(paths.config), { deployedSecrets: deployed });
    if (last.problems.length > 0) {
      throw new Stop([`✗ preflight before deploying:`, ...problemLines(last.problems)].join("\n"));
    }
    await wrangler(["deploy", "--config", paths.config]);
    writeState(paths.state, state);
    const live = origin ?? originOf(writtenDeployConfig(paths.config)) ?? "";
    say(`   ✓ deployed ${name}: ${live}`);

    // 5. the live URL, as a client reaches it.
    let smokeOk = true;
    if (!values["no-smoke"]) {
      say("5. smoke test");
      // token-validation's expected answers depend on its vars (AUTH_MODE, AUTHORIZATION_SERVERS).
      const deployedVars = Object.fromEntries(
        Object.entries(writtenDeployConfig(paths.config).vars ?? {}).map(([key, value]) => [key, varText(value)]),
      );
      const result = await (io.smoke ?? smokeTest)(app, live, { vars: deployedVars });
      for (const check of result.checks) {
        say(
          `   ${check.ok ? "✓" : "✗"} ${check.name}: ${check.detail}${check.ok || check.fix === undefined ? "" : ` (fix: ${check.fix})`}`,
        );
      }
      for (const warning of result.warnings) say(`   ! ${warning}`);
      smokeOk = result.ok;
      if (!smokeOk) io.err(`✗ deployed, but the live URL fails the smoke test: fix the above and run deploy again`);
    }

    // 6. the first admin (full-oauth-provider): an invitation link, printed once by the users CLI.
    if (app === "full-oauth-provider") {
      const invite = ["invite", "--email", "EMAIL", "--name", "NAME", "--remote", "--origin", live];
      if (values["admin-email"] !== undefined && values["admin-name"] !== undefined) {
        say("6. first admin");
        invite[2] = values["admin-email"];
        invite[4] = values["admin-name"];
        const code = await (io.users ?? runUsers)(invite);
        if (code !== 0) throw new Stop(`✗ the invitation failed (above); rerun: npm run users -- ${invite.join(" ")}`);
      } else {
        say(`   next: invite the first person (prints their one-time link): npm run users -- ${invite.join(" ")}`);
      }
    }
    if (values.json) {
      io.out(JSON.stringify({ app, worker: name, origin: live, state, secretsSet: [...toSet.keys()], smoke: smokeOk }));
    }
    return smokeOk ? 0 : 1;
  } catch (error) {
    if (error instanceof WranglerError) {
      io.err(`✗ ${error.message}:\n${error.output.replace(/^/gm, "    ")}`);
      io.err(`  Fix that, then run deploy again: what was created so far is kept (${DEPLOY_STATE}) and reused.`);
      return 1;
    }
    if (error instanceof Stop) {
      io.err(error.message);
      return 1;
    }
    throw error;
  }
}

/** Reuses (by id, then by name) or creates each KV namespace and D1 database, recording what it creates. */
async function provision(
  app: AppName,
  name: string,
  wrangler: Wrangler,
  state: DeployState,
  kvIds: Record<string, string>,
  d1Ids: Record<string, string>,
  say: (line: string) => void,
  save: () => void,
  current: WranglerConfig,
): Promise<void> {
  const base = baseConfig(app);
  if ((base.kv_namespaces ?? []).length > 0) {
    const list = jsonOf<{ id: string; title: string }>(
      await wrangler(["kv", "namespace", "list"]),
      "wrangler kv namespace list",
    );
    for (const { binding } of base.kv_namespaces ?? []) {
      const title = `${name}-${binding}`;
      const configured = current.kv_namespaces?.find((entry) => entry.binding === binding)?.id;
      const found = list.find((entry) => entry.id === configured) ?? list.find((entry) => entry.title === title);
      if (found !== undefined) {
        kvIds[binding] = found.id;
        say(`   ✓ KV ${binding}: reused ${found.title} (${found.id})`);
      } else {
        const created = await wrangler(["kv", "namespace", "create", title]);
        const id = /\b[0-9a-f]{32}\b/.exec(created.stdout)?.[0];
        if (id === undefined)
          throw new WranglerError(`wrangler kv namespace create ${title}`, "printed no namespace id");
        kvIds[binding] = id;
        state.kv.push({ binding, title, id });
        say(`   ✓ KV ${binding}: created ${title} (${id})`);
      }
      save();
    }
  }
  if ((base.d1_databases ?? []).length > 0) {
    const list = jsonOf<{ uuid: string; name: string }>(
      await wrangler(["d1", "list", "--json"]),
      "wrangler d1 list --json",
    );
    for (const database of base.d1_databases ?? []) {
      const dbName =
        current.d1_databases?.find((entry) => entry.binding === database.binding)?.database_name ??
        database.database_name.replace(base.name, name);
      const configured = current.d1_databases?.find((entry) => entry.binding === database.binding)?.database_id;
      const found = list.find((entry) => entry.uuid === configured) ?? list.find((entry) => entry.name === dbName);
      if (found !== undefined) {
        d1Ids[database.binding] = found.uuid;
        say(`   ✓ D1 ${database.binding}: reused ${found.name} (${found.uuid})`);
      } else {
        const created = await wrangler(["d1", "create", dbName]);
        const id = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/.exec(created.stdout)?.[0];
        if (id === undefined) throw new WranglerError(`wrangler d1 create ${dbName}`, "printed no database id");
        d1Ids[database.binding] = id;
        state.d1.push({ binding: database.binding, name: dbName, id });
        say(`   ✓ D1 ${database.binding}: created ${dbName} (${id})`);
      }
      save();
    }
  }
}

/** `npm run users -- …` for the deployed full-oauth-provider, its output on this terminal. */
async function runUsers(args: string[]): Promise<number> {
  const { spawn } = await import("node:child_process");
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [`${REPO}/apps/full-oauth-provider/scripts/users.ts`, ...args], {
      stdio: "inherit",
    });
    child.on("close", (code) => {
      resolve(code ?? 1);
    });
  });
}

/** `deploy <app> --teardown`: removes what the state file says deploy created, after confirmation. */
export async function teardown(app: AppName, values: Values, io: Io, dir: string): Promise<number> {
  const say = (line: string) => {
    (values.json ? io.err : io.out)(line);
  };
  const paths = deployPaths(app, dir);
  const state = readState(app, paths.state);
  const items = [
    ...(state.worker === undefined ? [] : [`Worker ${state.worker} (and its secrets)`]),
    ...state.kv.map((kv) => `KV namespace ${kv.title} (${kv.id})`),
    ...state.d1.map((d1) => `D1 database ${d1.name} (${d1.id}) and all its data`),
  ];
  if (items.length === 0) {
    say(`${app}: nothing to remove (${DEPLOY_STATE} records nothing deploy created)`);
    if (values.json) io.out(JSON.stringify({ app, removed: [] }));
    return 0;
  }
  say(`${app}: deploy created`);
  for (const item of items) say(`  ${item}`);
  if (!values.yes) {
    if (io.ask === undefined)
      throw new UsageError("--teardown removes these for good: add --yes (no terminal to ask on)");
    const answer = await io.ask(
      `Remove ${items.length === 1 ? "it" : `these ${items.length}`} for good? [y/N] `,
      false,
    );
    if (!/^y(es)?$/i.test(answer.trim())) {
      io.err("deploy: nothing removed");
      return 1;
    }
  }
  const wrangler = wranglerFor(app, dir, io.env);
  const removed: string[] = [];
  try {
    if (state.worker !== undefined) {
      await wrangler(["delete", state.worker]);
      removed.push(`Worker ${state.worker}`);
      say(`  ✓ removed Worker ${state.worker}`);
      delete state.worker;
      writeState(paths.state, state);
    }
    for (let kv = state.kv[0]; kv !== undefined; kv = state.kv[0]) {
      await wrangler(["kv", "namespace", "delete", "--namespace-id", kv.id, "--skip-confirmation"]);
      removed.push(`KV namespace ${kv.title}`);
      say(`  ✓ removed KV namespace ${kv.title}`);
      state.kv.shift();
      writeState(paths.state, state);
    }
    for (let d1 = state.d1[0]; d1 !== undefined; d1 = state.d1[0]) {
      await wrangler(["d1", "delete", d1.name, "--skip-confirmation"]);
      removed.push(`D1 database ${d1.name}`);
      say(`  ✓ removed D1 database ${d1.name}`);
      state.d1.shift();
      writeState(paths.state, state);
    }
  } catch (error) {
    if (!(error instanceof WranglerError)) throw error;
    io.err(`✗ ${error.message}:\n${error.output.replace(/^/gm, "    ")}`);
    io.err(`  Fix that, then run --teardown again: ${DEPLOY_STATE} now lists only what is left.`);
    return 1;
  }
  rmSync(paths.state);
  // The deploy config keeps its vars; its ids named what is gone, so they go back to placeholders.
  const config = readDeployConfig(paths.config);
  if (config !== undefined) {
    const fresh = baseConfig(app);
    config.kv_namespaces = fresh.kv_namespaces;
    if (config.d1_databases !== undefined) {
      config.d1_databases = config.d1_databases.map((database) => ({
        ...database,
        database_id: "00000000-0000-0000-0000-000000000000",
      }));
    }
    writeDeployConfig(paths.config, config);
  }
  say(`${app}: removed; ${DEPLOY_STATE} deleted, ${DEPLOY_CONFIG} keeps your vars for a later deploy`);
  if (values.json) io.out(JSON.stringify({ app, removed }));
  return 0;
}

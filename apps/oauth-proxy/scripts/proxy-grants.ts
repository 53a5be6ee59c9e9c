// The operator CLI for oauth-proxy's grants: who signed in through which upstream, with which
// client, and ending those grants (an incident, or retiring this app for full-oauth-provider).
//
//   npm run proxy-grants -- list [--user SUBJECT]
//   npm run proxy-grants -- revoke <grant-id> --user <user key or SUBJECT>
//   npm run proxy-grants -- revoke-all [--user SUBJECT] [--yes]
//
// Works on the local state while `pnpm dev` runs (no restart); add --remote for the deployed
// namespace (after `wrangler login`); --persist-to <dir> targets another local state; --json
// prints JSON. Grants are read and deleted through auth-common's grants module, the one the
// full-oauth-provider CLI uses too. A grant's user key is the tenant key
// `oauth|<issuer>|<subject>` (src/authorize.ts); SUBJECT is the upstream's subject alone.
import { parseTenantKey } from "@mcp-auth/auth-common";
import { deleteGrant, listGrants, type GrantRow, type GrantStore } from "@mcp-auth/auth-common/grants";
import { textTable, withBindings } from "@mcp-auth/dev-harness";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";

const APP_DIR = join(import.meta.dirname, "..");

const USAGE = `usage: npm run proxy-grants -- <list|revoke|revoke-all> [options]
  list [--user SUBJECT]
  revoke GRANT_ID --user USER      (USER: the user key oauth|<issuer>|<subject>, or the subject)
  revoke-all [--user SUBJECT] [--yes]
                                   (without --yes: asks on a terminal, refuses otherwise)
A revoked grant's access tokens are refused at /mcp (401 invalid_token) and its refresh token
at /token (400 invalid_grant): its client must sign in again.
options: --remote (deployed namespace)  --persist-to DIR (local state directory)  --json`;

/** A usage error: printed with the usage text, exit code 2. */
class UsageError extends Error {}
/** A failure reported as one sentence, exit code 1. */
class CommandError extends Error {}

function parse() {
  try {
    const args = process.argv.slice(2);
    return parseArgs({
      // `pnpm run proxy-grants -- list` passes the `--` on; npm does not.
      args: args[0] === "--" ? args.slice(1) : args,
      allowPositionals: true,
      options: {
        user: { type: "string" },
        yes: { type: "boolean", default: false },
        remote: { type: "boolean", default: false },
        "persist-to": { type: "string" },
        json: { type: "boolean", default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
type Values = ReturnType<typeof parse>["values"];

/** A grant as an operator reads it: the upstream issuer and subject behind the user key. */
interface ProxyGrant extends GrantRow {
  issuer: string | null;
  subject: string | null;
}

function described(grant: GrantRow): ProxyGrant {
  const parsed = parseTenantKey(grant.userId);
  const tenant = parsed.ok ? parsed.tenant : undefined;
  return { ...grant, issuer: tenant?.issuer ?? null, subject: tenant?.subject ?? null };
}

/** `--user`: a user key (it holds `|`) names exactly that user; anything else is a subject. */
function belongsTo(grant: ProxyGrant, user: string | undefined): boolean {
  if (user === undefined) return true;
  return user.includes("|") ? grant.userId === user : grant.subject === user;
}

function show(values: Values, json: unknown, lines: string[]): void {
  console.log(values.json ? JSON.stringify(json, null, 2) : lines.join("\n"));
}

const when = (seconds: number) => new Date(seconds * 1000).toISOString();

function grantTable(grants: ProxyGrant[]): string[] {
  return textTable(
    ["grant", "issuer", "subject", "client", "created", "scopes"],
    grants.map((grant) => [
      grant.id,
      grant.issuer ?? "?",
      grant.subject ?? grant.userId,
      grant.clientId,
      when(grant.createdAt),
      grant.scope.join(" "),
    ]),
  );
}

async function selected(kv: GrantStore, user: string | undefined): Promise<ProxyGrant[]> {
  return (await listGrants(kv)).map(described).filter((grant) => belongsTo(grant, user));
}

/** Asks on the terminal; true only for an explicit yes. */
async function confirm(question: string): Promise<boolean> {
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await terminal.question(`${question} [y/N] `)).trim());
  } finally {
    terminal.close();
  }
}

async function revoked(values: Values, kv: GrantStore, grants: ProxyGrant[]): Promise<void> {
  for (const grant of grants) await deleteGrant(kv, grant.userId, grant.id);
  show(values, { revoked: grants.length, grants }, [
    grants.length === 0
      ? "no grants: nothing revoked"
      : `revoked ${String(grants.length)} grant${grants.length === 1 ? "" : "s"}: their clients must sign in again`,
    ...(grants.length === 0 ? [] : grantTable(grants)),
  ]);
}

async function run(kv: GrantStore, [command, argument]: (string | undefined)[], values: Values): Promise<void> {
  switch (command) {
    case "list": {
      const grants = await selected(kv, values.user);
      show(values, { grants }, grants.length === 0 ? ["no grants"] : grantTable(grants));
      return;
    }
    case "revoke": {
      const grants = (await selected(kv, values.user)).filter((grant) => grant.id === argument);
      if (grants.length === 0) throw new CommandError(`${values.user ?? ""} has no grant ${argument ?? ""}`);
      await revoked(values, kv, grants);
      return;
    }
    case "revoke-all": {
      const grants = await selected(kv, values.user);
      const whose = values.user === undefined ? "every user's" : `of ${values.user}`;
      const count = `${String(grants.length)} grant${grants.length === 1 ? "" : "s"}`;
      if (!values.yes && grants.length > 0 && !(await confirm(`Revoke ${count} (${whose})?`))) {
        throw new CommandError("nothing revoked");
      }
      await revoked(values, kv, grants);
      return;
    }
    default:
      throw new UsageError(`unknown command: ${command ?? ""}`);
  }
}

/** Usage errors found from the command line alone, before any state is opened. */
function checkUsage([command, argument]: (string | undefined)[], values: Values): void {
  if (command === undefined) throw new UsageError("no command");
  if (!["list", "revoke", "revoke-all"].includes(command)) throw new UsageError(`unknown command: ${command}`);
  if (command === "revoke" && (argument === undefined || values.user === undefined)) {
    throw new UsageError("revoke needs GRANT_ID and --user");
  }
  if (command === "revoke-all" && !values.yes && !(process.stdin.isTTY && process.stderr.isTTY)) {
    throw new UsageError("revoke-all ends grants for good: add --yes (there is no terminal to confirm on)");
  }
}

async function main(): Promise<number> {
  try {
    const { values, positionals } = parse();
    checkUsage(positionals, values);
    const stateDir = resolve(values["persist-to"] ?? join(APP_DIR, ".wrangler", "state"));
    // A mistyped --persist-to would otherwise list an empty, freshly made state: "no grants".
    if (!values.remote && !existsSync(join(stateDir, "v3", "kv"))) {
      throw new CommandError(
        `no local KV state in ${stateDir}: run \`npx -y pnpm@10.34.9 dev\` once, or pass --persist-to the running server's state directory`,
      );
    }
    const bindings = { remote: values.remote, persistTo: stateDir, appDir: APP_DIR, kv: "OAUTH_KV" };
    await withBindings<{ kv: GrantStore }, undefined>(bindings, async (env) => {
      await run(env.kv, positionals, values);
      return undefined;
    });
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n${USAGE}`);
      return 2;
    }
    if (error instanceof CommandError) {
      console.error(`proxy-grants: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

process.exitCode = await main();

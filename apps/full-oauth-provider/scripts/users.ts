// The admin CLI for the full-oauth-provider app's own users and its audit log.
//
//   npm run users -- add --email ada@example.com --name "Ada" [--password-stdin]
//   npm run users -- invite --email ada@example.com --name "Ada" [--expires-in-days 7] [--origin URL]
//   npm run users -- list
//   npm run users -- disable <user-id or email>          (also revokes all their grants)
//   npm run users -- enable <user-id or email>
//   npm run users -- set-password <user-id or email> [--password-stdin] [--keep-grants]
//   npm run users -- audit [--user <user-id or email>] [--since-hours 24] [--limit 100]
//   npm run users -- grants list [--user <user-id or email>]
//   npm run users -- grants revoke <grant-id> --user <user-id or email>
//   npm run resource-servers -- add --name "token-validation" --resource https://tv.example.com/mcp
//   npm run resource-servers -- list
//   npm run resource-servers -- remove <rs_…>
//
// Works on the local dev database while `pnpm dev` runs (no restart); add --remote for the
// deployed database (after `wrangler login`; PASSWORD_PEPPER in the environment for passwords).
// --persist-to <dir> targets another local state. Without --password-stdin a password is
// generated and printed once; `invite` prints a one-time link instead, with which the person sets
// their own password or passkey (their first sign-in). Every command goes through src/users.ts, the Worker's own module.
import { hashPassword, passwordProblem, pepperFromSecret } from "@mcp-auth/auth-common/accounts";
import { bindingsConfigFile, hasLocalD1, jsoncToJson, textTable as table, withBindings } from "@mcp-auth/dev-harness";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { enableCompileCache } from "node:module";
import { join } from "node:path";
import { text } from "node:stream/consumers";
import { parseArgs } from "node:util";
import { DEV_USER } from "../src/dev-seed.ts";
import {
  DEV_RESOURCE_SERVER,
  addResourceServer,
  listResourceServers,
  removeResourceServer,
} from "../src/resource-servers.ts";
import {
  DEFAULT_INVITE_DAYS,
  MAX_INVITE_DAYS,
  NotInvitable,
  inviteUser,
  pendingInvitations,
} from "../src/invitations.ts";
import { changePassword, disableAccount, listGrants, revokeGrant, type GrantStore } from "../src/grants.ts";
import {
  EmailTaken,
  InvalidUser,
  audit,
  addUser,
  findByEmail,
  getUser,
  listUsers,
  readAudit,
  setDisabled,
  type User,
  type UserDatabase,
} from "../src/users.ts";

enableCompileCache();

const APP_DIR = join(import.meta.dirname, "..");

const USAGE = `usage: npm run users -- <add|invite|list|disable|enable|set-password|audit|grants|resource-servers|seed-dev> [options]
  add --email EMAIL --name NAME [--password-stdin]
  invite --email EMAIL --name NAME [--expires-in-days ${String(DEFAULT_INVITE_DAYS)}] [--origin URL]
                          (no password: prints a one-time link with which they set a password or passkey;
                          a rerun for someone who has not accepted yet replaces the link)
  list                    (status: enabled, DISABLED, INVITED, INVITE EXPIRED)
  disable USER            (a user id or an email; also revokes all their grants)
  enable USER
  set-password USER [--password-stdin] [--keep-grants]
                          (ends every session; revokes every grant unless --keep-grants)
  audit [--user USER] [--since-hours N] [--limit N]
  grants list [--user USER]
  grants revoke GRANT_ID --user USER   (its tokens stop working at once; its refresh is invalid_grant)
  resource-servers add --name NAME --resource URL [--resource URL…]
                          (may introspect tokens for those resources at /introspect; secret shown once)
  resource-servers list
  resource-servers remove ID   (its secret stops working at once)
  seed-dev                (local only: the dev account pnpm dev prints)
options: --remote (deployed database)  --persist-to DIR (local state directory)  --json`;

/** A usage error: printed with the usage text, exit code 2. */
class UsageError extends Error {}
/** A failure reported as one sentence, exit code 1. */
class CommandError extends Error {}

function parse() {
  try {
    const args = process.argv.slice(2);
    return parseArgs({
      // `pnpm run users -- add …` passes the `--` on; npm does not.
      args: args[0] === "--" ? args.slice(1) : args,
      allowPositionals: true,
      options: {
        email: { type: "string" },
        resource: { type: "string", multiple: true },
        name: { type: "string" },
        user: { type: "string" },
        "since-hours": { type: "string" },
        "expires-in-days": { type: "string" },
        origin: { type: "string" },
        limit: { type: "string", default: "100" },
        "password-stdin": { type: "boolean", default: false },
        "keep-grants": { type: "boolean", default: false },
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

/** A variable of the app's .dev.vars (local development only), or undefined when unset or empty. */
function devVar(name: string): string | undefined {
  const devVars = join(APP_DIR, ".dev.vars");
  if (!existsSync(devVars)) return undefined;
  const match = new RegExp(`^${name}\\s*=\\s*"?([^"\\n]*)"?\\s*$`, "m").exec(readFileSync(devVars, "utf8"));
  return match?.[1] === "" ? undefined : match?.[1];
}

/** PASSWORD_PEPPER from the environment, else (locally) from the app's .dev.vars. */
function pepperSecret(remote: boolean): string {
  const fromEnv = process.env["PASSWORD_PEPPER"];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  const fromDevVars = remote ? undefined : devVar("PASSWORD_PEPPER");
  if (fromDevVars !== undefined) return fromDevVars;
  throw new CommandError(
    remote
      ? "set PASSWORD_PEPPER in the environment to the deployed secret's value to hash a password"
      : "no PASSWORD_PEPPER: run `npx -y pnpm@10.34.9 dev` once (it creates .dev.vars) or set it in the environment",
  );
}

/**
 * The origin an invitation link starts with: --origin, else PUBLIC_ORIGIN from the app's config
 * (locally .dev.vars, then wrangler.jsonc; the deployed one's from wrangler.deploy.jsonc when
 * `npm run deploy` wrote one, else wrangler.jsonc), as the Worker
 * serves it: the link must open the server whose database holds the invitation.
 */
function inviteOrigin(values: Values): string {
  const configured = (): string | undefined => {
    if (!values.remote) {
      const local = devVar("PUBLIC_ORIGIN");
      if (local !== undefined) return local;
    }
    const config = JSON.parse(jsoncToJson(readFileSync(bindingsConfigFile(APP_DIR, values.remote), "utf8"))) as {
      vars?: Record<string, unknown>;
    };
    const deployed = config.vars?.["PUBLIC_ORIGIN"];
    return typeof deployed === "string" && deployed !== "" ? deployed : undefined;
  };
  const value = values.origin ?? configured();
  if (value === undefined) {
    throw new CommandError("no PUBLIC_ORIGIN in the app's config: pass --origin https://your-server.example");
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--origin ${value} is not a URL`);
  }
  if ((url.protocol !== "https:" && url.protocol !== "http:") || url.origin !== value.replace(/\/$/, "")) {
    throw new UsageError(`--origin takes an origin (scheme, host and port only), not ${value}`);
  }
  return url.origin;
}

async function newPasswordHash(values: Values): Promise<{ hash: string; generated?: string }> {
  let password: string;
  let generated: string | undefined;
  if (values["password-stdin"]) {
    password = (await text(process.stdin)).replace(/\r?\n$/, "");
  } else {
    generated = randomBytes(18).toString("base64url");
    password = generated;
  }
  const problem = passwordProblem(password);
  if (problem !== undefined) throw new CommandError(problem);
  const pepper = await pepperFromSecret(pepperSecret(values.remote));
  return { hash: await hashPassword(password, { current: pepper }), ...(generated === undefined ? {} : { generated }) };
}

async function resolveUser(db: UserDatabase, who: string | undefined): Promise<User> {
  if (who === undefined || who === "") throw new UsageError("name the user: a user id or an email");
  const user = who.includes("@") ? (await findByEmail(db, who))?.user : await getUser(db, who);
  if (user === undefined) throw new CommandError(`no user ${who}`);
  return user;
}

function show(values: Values, json: unknown, lines: string[]): void {
  console.log(values.json ? JSON.stringify(json, null, 2) : lines.join("\n"));
}

const when = (seconds: number) => new Date(seconds * 1000).toISOString();

async function run(
  { db, kv }: { db: UserDatabase; kv: GrantStore },
  [command, argument, third]: (string | undefined)[],
  values: Values,
): Promise<void> {
  switch (command) {
    case "add": {
      if (values.email === undefined || values.name === undefined) throw new UsageError("add needs --email and --name");
      const { hash, generated } = await newPasswordHash(values);
      let user: User;
      try {
        user = await addUser(db, { email: values.email, displayName: values.name, passwordHash: hash });
      } catch (error) {
        if (error instanceof EmailTaken || error instanceof InvalidUser) throw new CommandError(error.message);
        throw error;
      }
      await audit(db, { event: "user_added", outcome: "ok", userId: user.id, detail: "cli" });
      show(values, { user, ...(generated === undefined ? {} : { password: generated }) }, [
        `added ${user.id} ${user.email} (${user.displayName})`,
        ...(generated === undefined ? [] : [`password (shown once): ${generated}`]),
      ]);
      return;
    }
    case "invite": {
      if (values.email === undefined || values.name === undefined) {
        throw new UsageError("invite needs --email and --name");
      }
      const days = Number(values["expires-in-days"] ?? DEFAULT_INVITE_DAYS);
      if (!Number.isInteger(days) || days < 1 || days > MAX_INVITE_DAYS) {
        throw new UsageError(`--expires-in-days is a whole number from 1 to ${String(MAX_INVITE_DAYS)}`);
      }
      const origin = inviteOrigin(values);
      let invitation: Awaited<ReturnType<typeof inviteUser>>;
      try {
        invitation = await inviteUser(db, { email: values.email, displayName: values.name, days });
      } catch (error) {
        if (error instanceof NotInvitable || error instanceof InvalidUser || error instanceof EmailTaken)
          throw new CommandError(error.message);
        throw error;
      }
      const { user, code, expiresAt, reissued } = invitation;
      // In the fragment: a browser never sends it (no server or proxy log, no Referer holds
      // it); the page's script posts it.
      const link = `${origin}/invite#${code}`;
      await audit(db, {
        event: "user_invited",
        outcome: "ok",
        userId: user.id,
        detail: reissued ? "cli; reissued" : "cli",
      });
      show(values, { user, link, expiresAt: when(expiresAt), reissued }, [
        `${reissued ? "invited again (the earlier link no longer works)" : "invited"} ${user.id} ${user.email} (${user.displayName}) until ${when(expiresAt)}`,
        `invitation link (shown once; it sets their password or passkey): ${link}`,
      ]);
      return;
    }
    case "list": {
      const users = await listUsers(db);
      const invited = await pendingInvitations(db);
      const at = Date.now() / 1000;
      const status = (user: User) => {
        if (user.disabled) return "DISABLED";
        const expires = invited.get(user.id);
        if (expires === undefined) return "enabled";
        return expires > at ? "INVITED" : "INVITE EXPIRED";
      };
      show(
        values,
        users.map((user) => ({ ...user, status: status(user) })),
        users.length === 0
          ? ["no users"]
          : table(
              ["id", "email", "name", "created", "status"],
              users.map((user) => [user.id, user.email, user.displayName, when(user.createdAt), status(user)]),
            ),
      );
      return;
    }
    case "disable":
    case "enable": {
      const user = await resolveUser(db, argument);
      // Disabling ends every grant too: the library refuses their tokens from the next request.
      const revoked = command === "disable" ? await disableAccount(db, kv, user.id) : 0;
      if (command === "enable") await setDisabled(db, user.id, false);
      const detail = command === "disable" ? `cli; ${String(revoked)} grants revoked` : "cli";
      await audit(db, { event: `user_${command}d`, outcome: "ok", userId: user.id, detail });
      show(values, { id: user.id, disabled: command === "disable", grantsRevoked: revoked }, [
        `${command}d ${user.id} ${user.email}${command === "disable" ? ` (${String(revoked)} grants revoked)` : ""}`,
      ]);
      return;
    }
    case "set-password": {
      const user = await resolveUser(db, argument);
      const { hash, generated } = await newPasswordHash(values);
      // A credential change ends every session and, unless --keep-grants, every grant.
      const keepGrants = values["keep-grants"];
      const revoked = await changePassword(db, kv, user.id, hash, { keepGrants, by: "cli" });
      show(
        values,
        {
          id: user.id,
          sessionsEnded: true,
          grantsRevoked: revoked,
          ...(generated === undefined ? {} : { password: generated }),
        },
        [
          `new password set for ${user.id} ${user.email}: sessions ended, ${keepGrants ? "grants kept" : `${String(revoked)} grants revoked`}`,
          ...(generated === undefined ? [] : [`password (shown once): ${generated}`]),
        ],
      );
      return;
    }
    case "audit": {
      const userId = values.user === undefined ? undefined : (await resolveUser(db, values.user)).id;
      const hours = values["since-hours"] === undefined ? undefined : Number(values["since-hours"]);
      const limit = Number(values.limit);
      if ((hours !== undefined && !(hours > 0)) || !Number.isInteger(limit) || limit < 1) {
        throw new UsageError("--since-hours is a positive number and --limit a positive integer");
      }
      const since = hours === undefined ? undefined : Math.floor(Date.now() / 1000 - hours * 3600);
      const rows = await readAudit(db, { userId, since, limit });
      show(
        values,
        rows,
        rows.length === 0
          ? ["no audit rows"]
          : table(
              ["at", "event", "outcome", "user", "client", "grant", "address", "detail"],
              rows.map((row) => [
                when(row.at),
                row.event,
                row.outcome,
                row.userId,
                row.clientId,
                row.grantId,
                row.address,
                row.detail,
              ]),
            ),
      );
      return;
    }
    case "grants": {
      const user = values.user === undefined ? undefined : await resolveUser(db, values.user);
      if (argument === "list") {
        const grants = await listGrants(kv, user?.id);
        show(
          values,
          grants,
          grants.length === 0
            ? ["no grants"]
            : table(
                ["grant", "user", "client", "since", "scopes"],
                grants.map((grant) => [
                  grant.id,
                  grant.userId,
                  grant.clientId,
                  when(grant.createdAt),
                  grant.scope.join(" "),
                ]),
              ),
        );
        return;
      }
      if (argument === "revoke") {
        if (third === undefined || user === undefined) throw new UsageError("grants revoke needs GRANT_ID and --user");
        const revoked = await revokeGrant(db, kv, user.id, third, "cli");
        if (revoked === undefined) throw new CommandError(`${user.email} has no grant ${third}`);
        show(values, { id: third, revoked: true }, [`revoked ${third} of ${user.email}`]);
        return;
      }
      throw new UsageError("grants takes list or revoke");
    }
    case "resource-servers": {
      if (argument === "add") {
        if (values.name === undefined || values.resource === undefined) {
          throw new UsageError("resource-servers add needs --name and at least one --resource");
        }
        let added: Awaited<ReturnType<typeof addResourceServer>>;
        try {
          added = await addResourceServer(db, { name: values.name, resources: values.resource });
        } catch (error) {
          if (error instanceof RangeError) throw new CommandError(error.message);
          throw error;
        }
        const { server, secret } = added;
        await audit(db, {
          event: "resource_server_added",
          outcome: "ok",
          clientId: server.id,
          detail: server.resources.join(" "),
        });
        show(values, { ...server, secret }, [
          `added ${server.id} ${server.name} for ${server.resources.join(" ")}`,
          `client id: ${server.id}`,
          `client secret (shown once): ${secret}`,
        ]);
        return;
      }
      if (argument === "list") {
        const servers = await listResourceServers(db);
        show(
          values,
          servers,
          servers.length === 0
            ? ["no resource servers"]
            : table(
                ["id", "name", "since", "resources"],
                servers.map((server) => [server.id, server.name, when(server.createdAt), server.resources.join(" ")]),
              ),
        );
        return;
      }
      if (argument === "remove") {
        if (third === undefined) throw new UsageError("resource-servers remove needs the id (rs_…)");
        if (!(await removeResourceServer(db, third))) throw new CommandError(`no resource server ${third}`);
        await audit(db, { event: "resource_server_removed", outcome: "ok", clientId: third, detail: "cli" });
        show(values, { id: third, removed: true }, [`removed ${third}: its secret no longer introspects`]);
        return;
      }
      throw new UsageError("resource-servers takes add, list or remove");
    }
    case "seed-dev": {
      if (values.remote) throw new UsageError("seed-dev is for local development only");
      // token-validation's introspection recipe uses this registration as printed.
      const servers = await listResourceServers(db);
      if (!servers.some((server) => server.id === DEV_RESOURCE_SERVER.id)) {
        const { id, secret, name, resources } = DEV_RESOURCE_SERVER;
        await addResourceServer(db, { name, resources }, { id, secret });
        await audit(db, { event: "resource_server_added", outcome: "ok", clientId: id, detail: "seed-dev" });
      }
      const existing = await findByEmail(db, DEV_USER.email);
      if (existing === undefined) {
        const pepper = await pepperFromSecret(pepperSecret(false));
        const user = await addUser(db, {
          email: DEV_USER.email,
          displayName: DEV_USER.name,
          passwordHash: await hashPassword(DEV_USER.password, { current: pepper }),
        });
        await audit(db, { event: "user_added", outcome: "ok", userId: user.id, detail: "seed-dev" });
      }
      console.log(`full-oauth-provider: dev sign-in ${DEV_USER.email} / ${DEV_USER.password} (local only)`);
      return;
    }
    default:
      throw new UsageError(`unknown command: ${command}`);
  }
}

async function main(): Promise<number> {
  try {
    const { values, positionals } = parse();
    if (positionals[0] === undefined) throw new UsageError("no command");
    const target = { remote: values.remote, persistTo: values["persist-to"] };
    if (!target.remote && !hasLocalD1(APP_DIR, target)) {
      throw new CommandError(
        "no local database yet: run `npx -y pnpm@10.34.9 dev` once (it applies the migrations), or `npx -y pnpm@10.34.9 --filter @mcp-auth/full-oauth-provider exec wrangler d1 migrations apply DB --local`",
      );
    }
    const bindings = { ...target, appDir: APP_DIR, d1: "DB", kv: "OAUTH_KV" };
    await withBindings<{ db: UserDatabase; kv: GrantStore }, undefined>(bindings, async (env) => {
      await run(env, positionals, values);
      return undefined;
    });
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n${USAGE}`);
      return 2;
    }
    if (error instanceof CommandError) {
      console.error(`users: ${error.message}`);
      return 1;
    }
    if (error instanceof Error && /no such table/.test(error.message)) {
      console.error("users: the database has no tables: apply the migrations (`wrangler d1 migrations apply DB`)");
      return 1;
    }
    throw error;
  }
}

process.exitCode = await main();

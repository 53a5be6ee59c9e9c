// API key management for the token-validation app.
//
//   npm run keys -- create --owner alice [--scopes "notes:read,notes:write"] [--expires-in-days 90]
//   npm run keys -- list
//   npm run keys -- revoke <key-id>
//   npm run keys -- rotate <key-id>
//   npm run keys -- usage <key-id> [--days 7]
//
// Works on the local dev database while `pnpm dev` runs (no restart); add --remote for the
// deployed database (after `wrangler login`). --persist-to <dir> targets another local state.
// Every command goes through src/key-store.ts, the module the Worker uses.
import { ANONYMOUS_SUBJECT } from "@mcp-auth/auth-common";
import { SCOPES } from "@mcp-auth/mcp-core";
import { enableCompileCache } from "node:module";
import { parseArgs } from "node:util";
import {
  createKey,
  getKey,
  keyUsage,
  listKeys,
  revokeKey,
  rotateKey,
  type CreatedKey,
  type KeyDatabase,
  type KeySummary,
} from "../src/key-store.ts";
import {
  KeyDatabaseUnavailable,
  isMissingTables,
  missingTablesAdvice,
  withKeyDatabase,
  type KeyDatabaseTarget,
} from "./key-database.ts";

// Loading wrangler (for its binding proxy) is most of a command's time: cache its compiled code.
enableCompileCache();

const USAGE = `usage: npm run keys -- <create|list|revoke|rotate|usage> [options]
  create --owner NAME [--scopes "notes:read notes:write"] [--expires-in-days N]
  list
  revoke KEY_ID
  rotate KEY_ID
  usage KEY_ID [--days N]
options: --remote (deployed database)  --persist-to DIR (local state directory)  --json
scopes are separated by spaces or commas`;

/** A usage error: printed with the usage text, exit code 2. */
class UsageError extends Error {}

function parse() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        owner: { type: "string" },
        scopes: { type: "string", default: "notes:read notes:write" },
        "expires-in-days": { type: "string" },
        days: { type: "string", default: "7" },
        remote: { type: "boolean", default: false },
        "persist-to": { type: "string" },
        json: { type: "boolean", default: false },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : "bad arguments");
  }
}

function validKeyId(id: string | undefined): string {
  if (id === undefined || !/^key_[a-z0-9]{10}$/.test(id)) {
    throw new UsageError("give a key id like key_3fj9a0c2kq (see `npm run keys -- list`)");
  }
  return id;
}

/** Scopes separated by spaces and/or commas, each one the server knows. */
function parseScopes(text: string): string[] {
  const scopes = [...new Set(text.split(/[\s,]+/).filter((scope) => scope.length > 0))];
  const unknown = scopes.filter((scope) => !(SCOPES as readonly string[]).includes(scope));
  if (scopes.length === 0 || unknown.length > 0) throw new UsageError(`scopes must be among: ${SCOPES.join(" ")}`);
  return scopes;
}

const when = (value: number | null) =>
  value === null ? "-" : new Date(value).toISOString().slice(0, 16).replace("T", " ");

/** A plain aligned text table: a header, a rule, one line per row. */
function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)].join("\n");
}

function printCreated(created: CreatedKey, json: boolean, verb = "created"): void {
  if (json) {
    console.log(JSON.stringify(created));
    return;
  }
  console.log(
    `${verb} ${created.id} for ${created.owner} (${created.scopes.join(" ")})\n\n  ${created.key}\n\nThis is the only time the key is shown: store it now.`,
  );
}

function printList(keys: KeySummary[], json: boolean): void {
  if (json) {
    console.log(JSON.stringify(keys));
    return;
  }
  if (keys.length === 0) {
    console.log("no keys yet: npm run keys -- create --owner NAME");
    return;
  }
  console.log(
    table(
      ["ID", "OWNER", "SCOPES", "CREATED (UTC)", "EXPIRES", "REVOKED", "USES TODAY"],
      keys.map((key) => [
        key.id,
        key.owner,
        key.scopes,
        when(key.created_at),
        when(key.expires_at),
        when(key.revoked_at),
        String(key.today),
      ]),
    ),
  );
}

async function run(
  db: KeyDatabase,
  command: string | undefined,
  keyId: string | undefined,
  values: ReturnType<typeof parse>["values"],
) {
  const now = Date.now();
  switch (command) {
    case "create": {
      const owner = values.owner;
      if (owner === undefined || !/^[\w.@+-]{1,64}$/.test(owner)) {
        throw new UsageError("--owner is required: 1-64 letters, digits, . @ + - _");
      }
      if (owner === ANONYMOUS_SUBJECT) {
        // The server refuses such a key anyway (no credential may assert the anonymous subject).
        throw new UsageError(`--owner ${ANONYMOUS_SUBJECT} is reserved for callers who prove nothing`);
      }
      const days = values["expires-in-days"];
      if (days !== undefined && !/^[1-9]\d{0,4}$/.test(days)) {
        throw new UsageError("--expires-in-days must be a whole number of days");
      }
      const scopes = parseScopes(values.scopes);
      const expiresAt = days === undefined ? null : now + Number(days) * 86_400_000;
      printCreated(await createKey(db, { owner, scopes, expiresAt, now }), values.json);
      return;
    }
    case "list":
      printList(await listKeys(db, now), values.json);
      return;
    case "revoke": {
      const id = validKeyId(keyId);
      if ((await getKey(db, id)) === null) throw new UsageError(`no key ${id}`);
      const revoked = await revokeKey(db, id, now);
      if (values.json) console.log(JSON.stringify({ id, revoked: true }));
      else console.log(revoked ? `revoked ${id}: it fails from the next request on` : `${id} was already revoked`);
      return;
    }
    case "rotate": {
      const id = validKeyId(keyId);
      const old = await getKey(db, id);
      if (old === null) throw new UsageError(`no key ${id}`);
      if (old.revoked_at !== null) throw new UsageError(`${id} is already revoked`);
      const next = await rotateKey(db, id, now);
      if (next === null) throw new UsageError(`${id} is already revoked`);
      printCreated(next, values.json, `revoked ${id} and created`);
      return;
    }
    case "usage": {
      const id = validKeyId(keyId);
      if (!/^[1-9]\d{0,3}$/.test(values.days)) throw new UsageError("--days must be a whole number");
      const rows = await keyUsage(db, id, Number(values.days), now);
      if (values.json) console.log(JSON.stringify(rows));
      else if (rows.length === 0) console.log(`no uses of ${id} in the last ${values.days} day(s)`);
      else
        console.log(
          table(
            ["DAY (UTC)", "USES"],
            rows.map((row) => [row.day, String(row.count)]),
          ),
        );
      return;
    }
    default:
      throw new UsageError(command === undefined ? "name a command" : `unknown command ${command}`);
  }
}

async function main(): Promise<number> {
  let target: KeyDatabaseTarget = { remote: false };
  try {
    const { values, positionals } = parse();
    target = { remote: values.remote, persistTo: values["persist-to"] };
    const [command, keyId] = positionals;
    // Usage errors that need no database are reported before any is opened.
    if (!["create", "list", "revoke", "rotate", "usage"].includes(command ?? "")) {
      throw new UsageError(command === undefined ? "name a command" : `unknown command ${command}`);
    }
    await withKeyDatabase(target, (db) => run(db, command, keyId, values));
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`error: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof KeyDatabaseUnavailable) {
      console.error(`error: ${error.message}`);
      return 2;
    }
    if (isMissingTables(error)) {
      console.error(`error: ${missingTablesAdvice(target)}`);
      return 2;
    }
    throw error;
  }
}

process.exitCode = await main();

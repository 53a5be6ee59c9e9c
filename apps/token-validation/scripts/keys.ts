// API key management for the token-validation app.
//
//   pnpm keys create --owner alice [--scopes "notes:read notes:write"] [--expires-in-days 90]
//   pnpm keys list
//   pnpm keys revoke <key-id>
//   pnpm keys rotate <key-id>
//   pnpm keys usage <key-id> [--days 7]
//
// Works on the local dev database while `pnpm dev` runs (no restart); add --remote for the
// deployed database (after `wrangler login`). --persist-to <dir> targets another local state.
import { generateApiKey } from "@mcp-auth/auth-common";
import { SCOPES } from "@mcp-auth/mcp-core";
import { parseArgs } from "node:util";
import { usageDay } from "../src/usage-day.ts";
import { d1, sqlString, type D1Target } from "./wrangler-d1.ts";

const USAGE = `usage: pnpm keys <create|list|revoke|rotate|usage> [options]
  create --owner NAME [--scopes "notes:read notes:write"] [--expires-in-days N]
  list
  revoke KEY_ID
  rotate KEY_ID
  usage KEY_ID [--days N]
options: --remote (deployed database)  --persist-to DIR (local state directory)  --json`;

const { values, positionals } = parseArgs({
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

function fail(message: string): never {
  console.error(`error: ${message}\n\n${USAGE}`);
  process.exit(2);
}

const target: D1Target = { remote: values.remote, persistTo: values["persist-to"] };
const [command, keyId] = positionals;

function validKeyId(id: string | undefined): string {
  if (id === undefined || !/^key_[a-z0-9]{10}$/.test(id))
    fail("give a key id like key_3fj9a0c2kq (see `pnpm keys list`)");
  return id;
}

function validScopes(text: string): string[] {
  const scopes = text.split(/\s+/).filter((scope) => scope.length > 0);
  const unknown = scopes.filter((scope) => !(SCOPES as readonly string[]).includes(scope));
  if (scopes.length === 0 || unknown.length > 0) fail(`scopes must be among: ${SCOPES.join(" ")}`);
  return scopes;
}

async function create(owner: string, scopes: string[], expiresAt: number | null): Promise<void> {
  const { key, id, hash } = await generateApiKey();
  d1(
    target,
    `INSERT INTO api_keys (id, hash, owner, scopes, created_at, expires_at, revoked_at) VALUES (${sqlString(id)}, ${sqlString(hash)}, ${sqlString(owner)}, ${sqlString(scopes.join(" "))}, ${Date.now()}, ${expiresAt ?? "NULL"}, NULL)`,
  );
  if (values.json) console.log(JSON.stringify({ id, key, owner, scopes, expiresAt }));
  else
    console.log(
      `created ${id} for ${owner} (${scopes.join(" ")})\n\n  ${key}\n\nThis is the only time the key is shown: store it now.`,
    );
}

function keyRow(id: string): Record<string, unknown> {
  const [row] = d1(target, `SELECT * FROM api_keys WHERE id = ${sqlString(id)}`);
  if (row === undefined) fail(`no key ${id}`);
  return row;
}

/** The usage bucket `offset` days ago: the same UTC day the Worker counts in. */
const day = (offset = 0) => usageDay(Date.now() - offset * 86_400_000);
const when = (value: unknown) =>
  typeof value === "number" ? new Date(value).toISOString().slice(0, 16).replace("T", " ") : "-";

switch (command) {
  case "create": {
    const owner = values.owner;
    if (owner === undefined || !/^[\w.@+-]{1,64}$/.test(owner))
      fail("--owner is required: 1-64 letters, digits, . @ + - _");
    const days = values["expires-in-days"];
    if (days !== undefined && !/^[1-9]\d{0,4}$/.test(days)) fail("--expires-in-days must be a whole number of days");
    await create(owner, validScopes(values.scopes), days === undefined ? null : Date.now() + Number(days) * 86_400_000);
    break;
  }
  case "list": {
    const rows = d1(
      target,
      `SELECT k.id, k.owner, k.scopes, k.created_at, k.expires_at, k.revoked_at, COALESCE(u.count, 0) AS today FROM api_keys k LEFT JOIN api_key_usage u ON u.key_id = k.id AND u.day = ${sqlString(day())} ORDER BY k.created_at`,
    );
    if (values.json) console.log(JSON.stringify(rows));
    else
      console.table(
        rows.map((row) => ({
          id: row["id"],
          owner: row["owner"],
          scopes: row["scopes"],
          created: when(row["created_at"]),
          expires: when(row["expires_at"]),
          revoked: when(row["revoked_at"]),
          "uses today": row["today"],
        })),
      );
    break;
  }
  case "revoke": {
    const id = validKeyId(keyId);
    keyRow(id);
    d1(target, `UPDATE api_keys SET revoked_at = ${Date.now()} WHERE id = ${sqlString(id)} AND revoked_at IS NULL`);
    console.log(
      values.json ? JSON.stringify({ id, revoked: true }) : `revoked ${id}: it fails from the next request on`,
    );
    break;
  }
  case "rotate": {
    const id = validKeyId(keyId);
    const row = keyRow(id);
    if (row["revoked_at"] !== null) fail(`${id} is already revoked`);
    await create(
      String(row["owner"]),
      String(row["scopes"]).split(" "),
      typeof row["expires_at"] === "number" ? row["expires_at"] : null,
    );
    d1(target, `UPDATE api_keys SET revoked_at = ${Date.now()} WHERE id = ${sqlString(id)}`);
    if (!values.json) console.log(`revoked the old key ${id}`);
    break;
  }
  case "usage": {
    const id = validKeyId(keyId);
    const days = values.days;
    if (!/^[1-9]\d{0,3}$/.test(days)) fail("--days must be a whole number");
    const rows = d1(
      target,
      `SELECT day, count FROM api_key_usage WHERE key_id = ${sqlString(id)} AND day >= ${sqlString(day(Number(days) - 1))} ORDER BY day`,
    );
    if (values.json) console.log(JSON.stringify(rows));
    else console.table(rows);
    break;
  }
  default:
    fail(command === undefined ? "name a command" : `unknown command ${command}`);
}

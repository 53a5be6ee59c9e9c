// A stand-in for wrangler on PATH (no Cloudflare account here): appends its argv (and stdin) as a
// JSON line to FAKE_WRANGLER_LOG and answers like wrangler 4 from the account in
// FAKE_WRANGLER_ACCOUNT (a JSON file it updates). FAKE_WRANGLER_FAIL="d1 create" makes every
// command starting with those words fail as wrangler does (exit 1, an error on stderr);
// FAKE_WRANGLER_GARBLE makes one command print something other than its JSON.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes, randomUUID } from "node:crypto";

/** The fake account: what wrangler would find there. */
export interface FakeAccount {
  kv: { id: string; title: string }[];
  d1: { uuid: string; name: string }[];
  workers: Record<string, { secrets: string[]; deployed: boolean }>;
}

const args = process.argv.slice(2);
const stdin = process.stdin.isTTY ? "" : readFileSync(0, "utf8");
appendFileSync(
  process.env["FAKE_WRANGLER_LOG"] ?? "wrangler.log",
  `${JSON.stringify({ args, ...(stdin === "" ? {} : { stdin }) })}\n`,
);

const accountFile = process.env["FAKE_WRANGLER_ACCOUNT"] ?? "account.json";
const account: FakeAccount = existsSync(accountFile)
  ? (JSON.parse(readFileSync(accountFile, "utf8")) as FakeAccount)
  : { kv: [], d1: [], workers: {} };
const save = () => {
  writeFileSync(accountFile, JSON.stringify(account));
};
// The command's words: everything before its first option.
const firstOption = args.findIndex((arg) => arg.startsWith("-"));
const words = (firstOption === -1 ? args : args.slice(0, firstOption)).join(" ");
const option = (name: string) => {
  const at = args.indexOf(name);
  return at === -1 ? undefined : args[at + 1];
};
const workerName = () => {
  const config = option("--config");
  // deploy writes JSON under a header of `//` lines.
  const text = readFileSync(config ?? fail("no --config"), "utf8").replace(/^\/\/.*$/gm, "");
  return (JSON.parse(text) as { name: string }).name;
};
const fail = (message: string): never => {
  process.stderr.write(`✘ [ERROR] ${message}\n`);
  process.exit(1);
};
/** The command's `at`th word (wrangler would refuse the command without it). */
const word = (at: number) => args[at] ?? fail(`missing argument ${String(at)}`);

const failing = process.env["FAKE_WRANGLER_FAIL"];
if (failing !== undefined && failing !== "" && words.startsWith(failing))
  fail("A request to the Cloudflare API failed. [code: 10000]");

// FAKE_WRANGLER_GARBLE="kv namespace list": that command prints a warning instead of its JSON.
if (process.env["FAKE_WRANGLER_GARBLE"] === words) {
  process.stdout.write("▲ [WARNING] You are logged in with an API token that has expired.\n");
} else if (words === "kv namespace list") {
  process.stdout.write(JSON.stringify(account.kv));
} else if (words.startsWith("kv namespace create ")) {
  const title = word(3);
  const id = randomBytes(16).toString("hex");
  account.kv.push({ id, title });
  save();
  process.stdout.write(
    `🌀 Creating namespace with title "${title}"\n✨ Success!\nTo access your new KV Namespace in your Worker, add the following snippet to your configuration file:\n{\n  "kv_namespaces": [\n    {\n      "binding": "${title}",\n      "id": "${id}"\n    }\n  ]\n}\n`,
  );
} else if (words === "kv namespace delete") {
  const id = option("--namespace-id");
  if (!account.kv.some((kv) => kv.id === id)) fail(`namespace ${id} not found`);
  account.kv = account.kv.filter((kv) => kv.id !== id);
  save();
  process.stdout.write(`Deleted KV namespace ${id}.\n`);
} else if (words === "d1 list") {
  process.stdout.write(JSON.stringify(account.d1.map((db) => ({ ...db, created_at: "2026-12-08T00:00:00Z" }))));
} else if (words.startsWith("d1 create ")) {
  const name = word(2);
  const uuid = randomUUID();
  account.d1.push({ uuid, name });
  save();
  process.stdout.write(
    `✅ Successfully created DB '${name}' in region WEUR\n{\n  "d1_databases": [\n    {\n      "binding": "DB",\n      "database_name": "${name}",\n      "database_id": "${uuid}"\n    }\n  ]\n}\n`,
  );
} else if (words.startsWith("d1 delete ")) {
  const name = word(2);
  if (!account.d1.some((db) => db.name === name)) fail(`Couldn't find DB with name '${name}'`);
  account.d1 = account.d1.filter((db) => db.name !== name);
  save();
  process.stdout.write(`Deleted '${name}' successfully.\n`);
} else if (words.startsWith("d1 migrations apply ")) {
  process.stdout.write("✅ Migrations applied\n");
} else if (words === "secret list") {
  const worker = account.workers[workerName()];
  if (worker === undefined) fail("This Worker does not exist on your account. [code: 10007]");
  else process.stdout.write(JSON.stringify(worker.secrets.map((name) => ({ name, type: "secret_text" }))));
} else if (words.startsWith("secret put ")) {
  const name = workerName();
  if (stdin === "") fail("no value on stdin");
  account.workers[name] ??= { secrets: [], deployed: false };
  if (!account.workers[name].secrets.includes(word(2))) account.workers[name].secrets.push(word(2));
  save();
  process.stdout.write(`✨ Success! Uploaded secret ${args[2]}\n`);
} else if (words === "deploy") {
  const name = workerName();
  account.workers[name] ??= { secrets: [], deployed: false };
  account.workers[name].deployed = true;
  save();
  process.stdout.write(`Uploaded ${name}\nDeployed ${name} triggers\n  https://${name}.example-team.workers.dev\n`);
} else if (words.startsWith("delete ")) {
  const name = word(1);
  if (account.workers[name] === undefined) fail(`Worker ${name} not found`);
  account.workers = Object.fromEntries(Object.entries(account.workers).filter(([worker]) => worker !== name));
  save();
  process.stdout.write(`Successfully deleted ${name}\n`);
} else {
  fail(`the fake wrangler does not know \`wrangler ${args.join(" ")}\``);
}

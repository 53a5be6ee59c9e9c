// Moves notes between tenants and between apps, through each app's admin route.
//
//   npm run notes -- tenant --method M --issuer I --subject S
//   npm run notes -- export --app APP --tenant KEY [--out FILE]
//   npm run notes -- import --app APP --tenant KEY [--file FILE] [--dry-run]      (no --file: stdin)
//   npm run notes -- move --from-app APP --to-app APP --mapping FILE [--dry-run] [--keep-source]
//
// APP is no-auth, token-validation, oauth-proxy or full-oauth-provider: the app as `pnpm dev` runs
// it (its PUBLIC_ORIGIN, else http://localhost:<its dev port>) with the secret NOTES_ADMIN_SECRET
// from its .dev.vars (else .dev.vars.example). `--url ORIGIN` (`--from-url`, `--to-url` for move)
// names another origin, e.g. a deployed Worker or free ports in a test; the secret then comes from
// the environment: NOTES_ADMIN_SECRET (NOTES_ADMIN_SECRET_FROM / NOTES_ADMIN_SECRET_TO for move).
// The secret is never printed.
//
// Why a route and not wrangler: a Durable Object's storage is reachable only through its Worker.
// wrangler has no command that reads or writes it, and the local SQLite files are named by ids
// derived from the namespace, so nothing over `.wrangler` state could also work with --remote.
// The same route serves `pnpm dev` and the deployed Worker; it exists only while the app has
// NOTES_ADMIN_SECRET set.
//
// A tenant key is `method|issuer|subject`, each part percent-encoded (the `tenant` command makes
// one; the `whoami` tool shows a caller's method, issuer and subject). Notes travel as NDJSON, one
// {"text","createdAt"} per line, createdAt kept.
//
// move: the mapping file is {"moves":[{"from":"<tenant key>","to":"<tenant key>"}, …]}. Every entry
// is checked before anything is touched (keys parse, no `from` twice; on the same app no tenant is
// both a `from` and a `to`). Then per entry: export the source (with its digest), import it into
// the target (idempotent: a note with the same text and createdAt is skipped), export the target
// again and check every source note is there, then clear the source with the digest (refused if
// it changed since the export). It stops at the first failure; rerun it: what was moved is skipped
// (no duplicates) and what was left is moved.
//
// Exit codes: 0 done; 1 a command failed (server unreachable, refused, a check failed); 2 usage.
//
// --json prints one JSON value on stdout (stable, for scripts such as `rehearse`):
//   tenant:  {"tenant": KEY}
//   export:  {"origin","tenant","notes": N,"digest": HEX,"out": FILE or null}  (without --out the NDJSON
//            is stdout and this record goes to stderr)
//   import:  {"origin","tenant","received","added","alreadyPresent","dryRun"}
//   move:    {"ok": bool,"dryRun","keepSource","from": ORIGIN,"to": ORIGIN,
//             "moves": [{"from","to","status": "moved"|"copied"|"empty"|"planned"|"failed",
//                        "exported","added","alreadyPresent","removed" (null unless cleared),
//                        "error"? }],
//             "total": {"exported","added","alreadyPresent","removed"},"error"?}
//   An error without a record: {"error": MESSAGE} on stdout.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs, parseEnv } from "node:util";
// The repository root depends on no workspace package but dev-harness, so these two come by path:
// the notes format and digest, and the tenant key rules, are the Worker's own code.
import { NOTES_ADMIN_PATH, parseNotesNdjson } from "../packages/mcp-core/src/notes/notes-admin.ts";
import { notesDigest, notesNdjson, type ExportedNote } from "../packages/mcp-core/src/notes/notes-store.ts";
import { METHODS, parseTenantKey, tenantKey, type Method } from "../packages/identity/src/identity.ts";

const REPO = join(import.meta.dirname, "..");

/** The apps and the port `pnpm dev` serves each on (DESIGN.md). */
export const APPS = {
  "no-auth": 8787,
  "token-validation": 8788,
  "oauth-proxy": 8789,
  "full-oauth-provider": 8790,
} as const;
export type AppName = keyof typeof APPS;

const USAGE = `usage: npm run notes -- <tenant|export|import|move> [options]
  tenant --method M --issuer I --subject S
  export (--app APP | --url ORIGIN) --tenant KEY [--out FILE]
  import (--app APP | --url ORIGIN) --tenant KEY [--file FILE] [--dry-run]      (no --file: stdin)
  move (--from-app APP | --from-url ORIGIN) (--to-app APP | --to-url ORIGIN) --mapping FILE [--dry-run] [--keep-source]
APP: ${Object.keys(APPS).join(", ")} (pnpm dev's origin, the secret from its .dev.vars)
--url: the secret from env NOTES_ADMIN_SECRET (move: NOTES_ADMIN_SECRET_FROM, NOTES_ADMIN_SECRET_TO)
options: --json (one JSON value on stdout)`;

/** A usage error: printed with the usage text, exit code 2. */
class UsageError extends Error {}
/** A command that could not be done (server, refusal, failed check): exit code 1. */
class CommandError extends Error {
  /** The admin route's HTTP status, when it refused. */
  readonly status: number | undefined;
  constructor(message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.status = options.status;
  }
}

/** Where the admin route is and how to authenticate there; `secretFrom` names the file or variable, never the value. */
export interface AdminTarget {
  origin: string;
  secret: string;
  secretFrom: string;
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        method: { type: "string" },
        issuer: { type: "string" },
        subject: { type: "string" },
        app: { type: "string" },
        url: { type: "string" },
        tenant: { type: "string" },
        out: { type: "string" },
        file: { type: "string" },
        "from-app": { type: "string" },
        "to-app": { type: "string" },
        "from-url": { type: "string" },
        "to-url": { type: "string" },
        mapping: { type: "string" },
        "dry-run": { type: "boolean", default: false },
        "keep-source": { type: "boolean", default: false },
        json: { type: "boolean", default: false },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : "bad arguments");
  }
}

function appName(value: string, flag: string): AppName {
  if (!Object.hasOwn(APPS, value)) throw new UsageError(`${flag} is one of ${Object.keys(APPS).join(", ")}`);
  return value as AppName;
}

/** An http(s) origin, without path, query or fragment. */
function originOf(value: string, flag: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${flag} must be an origin such as https://mcp.example.com`);
  }
  if (!["http:", "https:"].includes(url.protocol) || url.href !== `${url.origin}/` || url.username !== "") {
    throw new UsageError(`${flag} must be an origin such as https://mcp.example.com (no path, query or user)`);
  }
  return url.origin;
}

/** The variables `pnpm dev` gives an app: its .dev.vars, else .dev.vars.example. */
function devVars(app: AppName): { vars: Record<string, string | undefined>; file: string } {
  for (const name of [".dev.vars", ".dev.vars.example"]) {
    const file = join("apps", app, name);
    if (existsSync(join(REPO, file))) return { vars: parseEnv(readFileSync(join(REPO, file), "utf8")), file };
  }
  throw new UsageError(`apps/${app} has neither .dev.vars nor .dev.vars.example`);
}

/**
 * The admin target of `--app`/`--url` (or `--from-…`/`--to-…`): `--url` with the secret from
 * `envName`, else the app as `pnpm dev` runs it with the secret from its dev variables.
 */
export function resolveTarget(
  app: string | undefined,
  url: string | undefined,
  flags: { app: string; url: string; envName: string },
  env: NodeJS.ProcessEnv = process.env,
): AdminTarget {
  if (url !== undefined) {
    const origin = originOf(url, flags.url);
    const secret = env[flags.envName];
    if (secret === undefined || secret === "") {
      throw new UsageError(`${flags.url} needs the app's admin secret in the environment variable ${flags.envName}`);
    }
    return { origin, secret, secretFrom: `the environment variable ${flags.envName}` };
  }
  if (app === undefined) throw new UsageError(`name the app: ${flags.app} APP or ${flags.url} ORIGIN`);
  const name = appName(app, flags.app);
  const { vars, file } = devVars(name);
  const secret = vars.NOTES_ADMIN_SECRET;
  if (secret === undefined || secret === "") {
    throw new UsageError(`${file} sets no NOTES_ADMIN_SECRET: set one (at least 32 characters) and restart pnpm dev`);
  }
  const publicOrigin = vars.PUBLIC_ORIGIN;
  const origin =
    publicOrigin === undefined || publicOrigin === "" ? `http://localhost:${APPS[name]}` : new URL(publicOrigin).origin;
  return { origin, secret, secretFrom: file };
}

function validTenant(value: string | undefined, what = "--tenant"): string {
  if (value === undefined) throw new UsageError(`${what} KEY is required (npm run notes -- tenant … makes one)`);
  const parsed = parseTenantKey(value);
  if (!parsed.ok) throw new UsageError(`${what}: ${parsed.problem}`);
  return value;
}

/** One call to the admin route; every failure a {@link CommandError} in words an operator can act on. */
async function adminCall(
  target: AdminTarget,
  method: "GET" | "POST" | "DELETE",
  query: Record<string, string>,
  body?: string,
): Promise<Response> {
  const url = new URL(NOTES_ADMIN_PATH, target.origin);
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${target.secret}`,
        ...(body === undefined ? {} : { "content-type": "application/x-ndjson" }),
      },
      ...(body === undefined ? {} : { body }),
      redirect: "manual",
      signal: AbortSignal.timeout(60_000),
    });
  } catch {
    throw new CommandError(`cannot reach ${target.origin}: is the app running (pnpm dev, or the deployed Worker)?`);
  }
  if (response.ok) return response;
  const text = await response.text();
  let detail = "";
  try {
    // The route's own `{error, error_description}`, or the transport guard's JSON-RPC error (a
    // Host the app does not answer, a rate limit).
    const problem = JSON.parse(text) as { error?: { message?: unknown }; error_description?: unknown };
    if (typeof problem.error_description === "string") detail = problem.error_description;
    else if (typeof problem.error?.message === "string") detail = problem.error.message;
  } catch {
    // Not JSON: the status says enough.
  }
  if (response.status === 401) {
    throw new CommandError(
      `${target.origin} refused the admin secret from ${target.secretFrom}: it must equal the NOTES_ADMIN_SECRET the app runs with`,
    );
  }
  if (response.status === 404) {
    throw new CommandError(
      `${target.origin} has no ${NOTES_ADMIN_PATH}: the app runs without NOTES_ADMIN_SECRET; set it (.dev.vars, or wrangler secret put NOTES_ADMIN_SECRET) and restart it`,
    );
  }
  throw new CommandError(`${target.origin} answered ${response.status}${detail === "" ? "" : `: ${detail}`}`, {
    status: response.status,
  });
}

/** A tenant's notes and the digest a clear must name, checked against what arrived. */
export async function exportTenant(
  target: AdminTarget,
  tenant: string,
): Promise<{ notes: ExportedNote[]; digest: string }> {
  const response = await adminCall(target, "GET", { tenant });
  const parsed = parseNotesNdjson(await response.text());
  if (!parsed.ok) throw new CommandError(`${target.origin} sent an export that does not parse (${parsed.problem})`);
  const digest = await notesDigest(parsed.notes);
  if (response.headers.get("notes-digest") !== digest) {
    throw new CommandError(`${target.origin} sent an export whose notes-digest does not match its notes`);
  }
  return { notes: parsed.notes, digest };
}

/** What an import answered. */
export interface ImportAnswer {
  tenant: string;
  received: number;
  added: number;
  alreadyPresent: number;
  dryRun: boolean;
}

export async function importTenant(
  target: AdminTarget,
  tenant: string,
  notes: readonly ExportedNote[],
  dryRun: boolean,
): Promise<ImportAnswer> {
  const response = await adminCall(target, "POST", { tenant, dry_run: String(dryRun) }, notesNdjson(notes));
  return (await response.json()) as ImportAnswer;
}

export async function clearTenant(target: AdminTarget, tenant: string, digest: string): Promise<number> {
  const response = await adminCall(target, "DELETE", { tenant, digest });
  return ((await response.json()) as { removed: number }).removed;
}

/** One entry of a move mapping. */
export interface Move {
  from: string;
  to: string;
}

/**
 * The mapping file's moves, every entry checked before anything is touched: the shape, each key
 * ({@link parseTenantKey}), no `from` twice, and on the same app no tenant both a `from` and a `to`
 * (a chain or a self-move, whose result would depend on the order).
 */
export function readMapping(text: string, sameApp: boolean): Move[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError('the mapping is not JSON: {"moves":[{"from":"<tenant key>","to":"<tenant key>"}]}');
  }
  const moves = (value as { moves?: unknown } | null)?.moves;
  if (!Array.isArray(moves) || moves.length === 0) {
    throw new UsageError('the mapping needs a non-empty "moves" list of {"from","to"} tenant keys');
  }
  const result: Move[] = [];
  const froms = new Set<string>();
  for (const [index, entry] of moves.entries()) {
    const where = `mapping moves[${index}]`;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      throw new UsageError(`${where} is not a {"from","to"} object`);
    }
    const { from, to, ...rest } = entry as Record<string, unknown>;
    if (Object.keys(rest).length > 0) throw new UsageError(`${where} has fields besides "from" and "to"`);
    if (typeof from !== "string") throw new UsageError(`${where}.from is not a tenant key`);
    if (typeof to !== "string") throw new UsageError(`${where}.to is not a tenant key`);
    validTenant(from, `${where}.from`);
    validTenant(to, `${where}.to`);
    if (froms.has(from)) throw new UsageError(`${where}.from is the source of an earlier entry too`);
    froms.add(from);
    result.push({ from, to });
  }
  if (sameApp) {
    const tos = new Set(result.map((move) => move.to));
    const index = result.findIndex((move) => tos.has(move.from));
    if (index !== -1) {
      throw new UsageError(
        `mapping moves[${index}].from is also a target on the same app: a tenant cannot be both (move it in two runs)`,
      );
    }
  }
  return result;
}

/** What happened to one mapping entry. */
export interface MoveRecord extends Move {
  status: "moved" | "copied" | "empty" | "planned" | "failed";
  exported: number;
  added: number;
  alreadyPresent: number;
  removed: number | null;
  error?: string;
}

/** The whole move, as `--json` prints it. */
export interface MoveReport {
  ok: boolean;
  dryRun: boolean;
  keepSource: boolean;
  from: string;
  to: string;
  moves: MoveRecord[];
  total: { exported: number; added: number; alreadyPresent: number; removed: number };
  error?: string;
}

/** One entry: export → import → verify the target holds every source note → clear the source. */
async function moveOne(
  move: Move,
  source: AdminTarget,
  target: AdminTarget,
  options: { dryRun: boolean; keepSource: boolean },
): Promise<MoveRecord> {
  const { notes, digest } = await exportTenant(source, move.from);
  const record: MoveRecord = {
    ...move,
    status: "empty",
    exported: notes.length,
    added: 0,
    alreadyPresent: 0,
    removed: null,
  };
  if (notes.length === 0) return record;
  const imported = await importTenant(target, move.to, notes, options.dryRun);
  record.added = imported.added;
  record.alreadyPresent = imported.alreadyPresent;
  if (options.dryRun) return { ...record, status: "planned" };
  const held = new Set(
    (await exportTenant(target, move.to)).notes.map((note) => JSON.stringify([note.text, note.createdAt])),
  );
  const missing = notes.filter((note) => !held.has(JSON.stringify([note.text, note.createdAt]))).length;
  if (missing > 0) {
    throw new CommandError(
      `the target lacks ${missing} of the ${notes.length} source notes after the import; the source was kept`,
    );
  }
  if (options.keepSource) return { ...record, status: "copied" };
  try {
    record.removed = await clearTenant(source, move.from, digest);
  } catch (error) {
    if (error instanceof CommandError && error.status === 409) {
      throw new CommandError(
        "the source changed during the move (a note was added or deleted): its notes were copied, it was kept; run the move again",
      );
    }
    throw error;
  }
  return { ...record, status: "moved" };
}

/** Runs every entry in order, stopping at the first failure; the report says what was done. */
export async function moveNotes(
  moves: readonly Move[],
  source: AdminTarget,
  target: AdminTarget,
  options: { dryRun: boolean; keepSource: boolean },
  onEntry: (record: MoveRecord) => void = () => undefined,
): Promise<MoveReport> {
  const report: MoveReport = {
    ok: true,
    dryRun: options.dryRun,
    keepSource: options.keepSource,
    from: source.origin,
    to: target.origin,
    moves: [],
    total: { exported: 0, added: 0, alreadyPresent: 0, removed: 0 },
  };
  for (const move of moves) {
    let record: MoveRecord;
    try {
      record = await moveOne(move, source, target, options);
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      record = {
        ...move,
        status: "failed",
        exported: 0,
        added: 0,
        alreadyPresent: 0,
        removed: null,
        error: error.message,
      };
      report.ok = false;
      report.error = `${move.from} → ${move.to}: ${error.message}`;
    }
    report.moves.push(record);
    report.total.exported += record.exported;
    report.total.added += record.added;
    report.total.alreadyPresent += record.alreadyPresent;
    report.total.removed += record.removed ?? 0;
    onEntry(record);
    if (!report.ok) break;
  }
  return report;
}

function describeMove(record: MoveRecord, dryRun: boolean): string {
  const head = `${record.from} → ${record.to}:`;
  if (record.status === "failed") return `${head} FAILED: ${record.error ?? ""}`;
  if (record.status === "empty") return `${head} nothing to move`;
  const counts = `${record.exported} note(s): ${record.added} ${dryRun ? "would be added" : "added"}, ${record.alreadyPresent} already there`;
  if (record.status === "planned") return `${head} ${counts} (dry run: nothing written)`;
  if (record.status === "copied") return `${head} ${counts}; source kept (--keep-source)`;
  return `${head} ${counts}; source cleared (${record.removed ?? 0} removed)`;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function readFile(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    throw new UsageError(`cannot read the ${what} file ${path}`);
  }
}

async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv);
  const [command, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0] ?? ""}`);
  const json = values.json;
  switch (command) {
    case "tenant": {
      const { method, issuer, subject } = values;
      if (method === undefined || issuer === undefined || subject === undefined) {
        throw new UsageError("tenant needs --method, --issuer and --subject (the whoami tool shows them)");
      }
      if (!(METHODS as readonly string[]).includes(method))
        throw new UsageError(`--method is one of ${METHODS.join(", ")}`);
      const key = tenantKey({ method: method as Method, issuer, subject });
      validTenant(key, "the tenant");
      console.log(json ? JSON.stringify({ tenant: key }) : key);
      return;
    }
    case "export": {
      const target = resolveTarget(values.app, values.url, {
        app: "--app",
        url: "--url",
        envName: "NOTES_ADMIN_SECRET",
      });
      const tenant = validTenant(values.tenant);
      const { notes, digest } = await exportTenant(target, tenant);
      const record = { origin: target.origin, tenant, notes: notes.length, digest, out: values.out ?? null };
      const summary = json
        ? JSON.stringify(record)
        : `exported ${notes.length} note(s) of ${tenant} from ${target.origin}`;
      if (values.out === undefined) {
        process.stdout.write(notesNdjson(notes));
        console.error(summary);
      } else {
        writeFileSync(values.out, notesNdjson(notes));
        console.log(json ? summary : `${summary} to ${values.out}`);
      }
      return;
    }
    case "import": {
      const target = resolveTarget(values.app, values.url, {
        app: "--app",
        url: "--url",
        envName: "NOTES_ADMIN_SECRET",
      });
      const tenant = validTenant(values.tenant);
      const text = values.file === undefined ? await readStdin() : readFile(values.file, "notes");
      // Checked here first, with the Worker's own parser: a bad file is named before anything is sent.
      const parsed = parseNotesNdjson(text);
      if (!parsed.ok) throw new CommandError(`${values.file ?? "stdin"} ${parsed.problem}; nothing was imported`);
      const answer = await importTenant(target, tenant, parsed.notes, values["dry-run"]);
      if (json) console.log(JSON.stringify({ origin: target.origin, ...answer }));
      else
        console.log(
          `${answer.dryRun ? "dry run: would import" : "imported"} into ${tenant} at ${target.origin}: ${answer.received} received, ${answer.added} ${answer.dryRun ? "would be added" : "added"}, ${answer.alreadyPresent} already there`,
        );
      return;
    }
    case "move": {
      const source = resolveTarget(values["from-app"], values["from-url"], {
        app: "--from-app",
        url: "--from-url",
        envName: "NOTES_ADMIN_SECRET_FROM",
      });
      const target = resolveTarget(values["to-app"], values["to-url"], {
        app: "--to-app",
        url: "--to-url",
        envName: "NOTES_ADMIN_SECRET_TO",
      });
      if (values.mapping === undefined) throw new UsageError("move needs --mapping FILE");
      const moves = readMapping(readFile(values.mapping, "mapping"), source.origin === target.origin);
      const report = await moveNotes(
        moves,
        source,
        target,
        {
          dryRun: values["dry-run"],
          keepSource: values["keep-source"],
        },
        (record) => {
          if (!json) console.log(describeMove(record, values["dry-run"]));
        },
      );
      if (json) console.log(JSON.stringify(report));
      else {
        const { total } = report;
        const done = report.moves.filter((record) => record.status !== "failed").length;
        console.log(
          `${report.ok ? "done" : "stopped"}: ${done} of ${moves.length} entries, ${total.exported} note(s) exported, ${total.added} ${report.dryRun ? "would be added" : "added"}, ${total.alreadyPresent} already there, ${total.removed} removed${report.dryRun ? " (dry run: nothing written)" : ""}`,
        );
      }
      if (!report.ok) throw new CommandError(report.error ?? "the move stopped", { cause: "reported" });
      return;
    }
    default:
      throw new UsageError(command === undefined ? "name a command" : `unknown command ${command}`);
  }
}

/** Runs the command line; the exit code. */
export async function main(argv: string[]): Promise<number> {
  const json = argv.includes("--json");
  try {
    await run(argv);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      if (json) console.log(JSON.stringify({ error: error.message }));
      console.error(`error: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof CommandError) {
      // A move's record was printed already; anything else gets one.
      if (json && error.cause !== "reported") console.log(JSON.stringify({ error: error.message }));
      console.error(`error: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));

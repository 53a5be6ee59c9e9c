// The operator's side of a rehearsal: the documented CLIs (keys, users, proxy-grants, notes) run
// against the stage's apps, each shown in the narration as the README prints it, plus the
// rehearsal's own read of a notebook's digest (to prove a refused step changed nothing).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ADMIN_SECRET, appCli, notesCli, type App, type CliOutput, type Stage } from "./stage.ts";
import type { Narrator } from "./record.ts";

/** One entry of a notes mapping: a tenant key on the old app → a tenant key on the new one. */
export interface Move {
  from: string;
  to: string;
}

/** What a `notes move` did (or, with --dry-run, would do), summed over its entries. */
export interface MoveOutcome {
  added: number;
  alreadyPresent: number;
  removed: number;
  raw: CliOutput;
}

function numberField(value: unknown, names: readonly string[]): number {
  if (typeof value !== "object" || value === null) return 0;
  const record = value as Record<string, unknown>;
  for (const name of names) if (typeof record[name] === "number") return record[name];
  return 0;
}

/** Sums a per-entry field of a `notes move --json` record. */
function total(raw: CliOutput, names: readonly string[]): number {
  const entries = Array.isArray(raw)
    ? raw
    : Array.isArray((raw as { moves?: unknown }).moves)
      ? ((raw as { moves: unknown[] }).moves as Record<string, unknown>[])
      : [raw];
  return entries.reduce((sum, entry) => sum + numberField(entry, names), 0);
}

/**
 * `npm run notes -- move` from `from` to `to` with `moves` written to a mapping file in the stage
 * directory (shown to the reader), through each app's admin route.
 */
export async function moveNotes(
  stage: Stage,
  narrator: Narrator,
  from: App,
  to: App,
  moves: readonly Move[],
  options: { dryRun?: boolean; file?: string } = {},
): Promise<MoveOutcome> {
  const file = join(stage.dir, options.file ?? `mapping-${from.name}-to-${to.name}.json`);
  writeFileSync(file, `${JSON.stringify({ moves }, null, 2)}\n`);
  const args = [
    "move",
    "--from-url",
    from.origin,
    "--to-url",
    to.origin,
    "--mapping",
    file,
    ...(options.dryRun === true ? ["--dry-run"] : []),
  ];
  narrator.command(
    `NOTES_ADMIN_SECRET_FROM=… NOTES_ADMIN_SECRET_TO=… npm run notes -- ${args.join(" ").replace(file, "mapping.json")}`,
  );
  const raw = await notesCli(args, {
    NOTES_ADMIN_SECRET_FROM: ADMIN_SECRET[from.name],
    NOTES_ADMIN_SECRET_TO: ADMIN_SECRET[to.name],
  });
  return {
    added: total(raw, ["added", "wouldAdd"]),
    alreadyPresent: total(raw, ["alreadyPresent"]),
    removed: total(raw, ["removed"]),
    raw,
  };
}

/** The digest and count of one tenant's notebook on `app`, read through its admin route. */
export async function notebookDigest(app: App, tenant: string): Promise<{ digest: string; count: number }> {
  const answer = await fetch(`${app.origin}/admin/notes?tenant=${encodeURIComponent(tenant)}`, {
    headers: { authorization: `Bearer ${ADMIN_SECRET[app.name]}` },
  });
  const text = await answer.text();
  if (answer.status !== 200)
    throw new Error(`GET /admin/notes on ${app.name}: HTTP ${String(answer.status)} ${text.slice(0, 200)}`);
  return {
    digest: answer.headers.get("notes-digest") ?? "",
    count: text.split("\n").filter((line) => line.trim() !== "").length,
  };
}

/** An app CLI, narrated as `npm run <script> -- <args>` (the README's form). */
export async function operatorCli(
  narrator: Narrator,
  app: App,
  script: { file: string; npm: string },
  args: string[],
  env: Record<string, string> = {},
): Promise<CliOutput> {
  narrator.command(`npm run ${script.npm} -- ${args.map(quote).join(" ")}`);
  return appCli(app, script.file, args, env);
}

function quote(arg: string): string {
  return /^[\w@./:=,|-]+$/.test(arg) ? arg : `"${arg.replaceAll('"', '\\"')}"`;
}

export const KEYS = { file: "keys.ts", npm: "keys" };
export const USERS = { file: "users.ts", npm: "users" };
export const PROXY_GRANTS = { file: "proxy-grants.ts", npm: "proxy-grants" };

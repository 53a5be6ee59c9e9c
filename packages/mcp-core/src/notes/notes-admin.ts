// The operator's way into any tenant's notebook: export, import and clear, for moving notes between
// tenants and apps (`npm run notes`). A Durable Object's storage is reachable only through a Worker
// (wrangler has no command that reads or writes it, locally or deployed), so this is a route of the
// app itself. It knows nothing of who may call it: auth-common's admin gate (NOTES_ADMIN_SECRET,
// the per-address limit on failures, the body bound) runs before it, and the route does not exist
// at all while the secret is unset.
import { parseTenantKey } from "@mcp-auth/identity";
import {
  MAX_NOTES,
  MAX_NOTE_LENGTH,
  notesDigest,
  notesNdjson,
  type ExportedNote,
  type NotesDirectory,
  type NotesStore,
} from "./notes-store.ts";

/** Where the notes admin route is served. */
export const NOTES_ADMIN_PATH = "/admin/notes";

/**
 * Largest import body: a full notebook of the longest notes, every character at its longest in
 * JSON (`\u0000`, six bytes), plus each line's keys and date. The admin gate reads at most this.
 */
export const MAX_NOTES_IMPORT_BYTES = MAX_NOTES * (MAX_NOTE_LENGTH * 6 + 64);

/** One line of the admin log: what was done to which tenant, and the counts. Never the secret. */
export interface NotesAdminLogEntry {
  event: "notes_admin";
  action: "export" | "import" | "clear" | "refused";
  status: number;
  tenant?: string;
  [count: string]: string | number | boolean | undefined;
}

/** An error answer: OAuth-style `{error, error_description}`, never cached. */
function problem(status: number, error: string, description: string, headers: HeadersInit = {}): Response {
  return Response.json(
    { error, error_description: description },
    { status, headers: { "Cache-Control": "no-store", ...Object.fromEntries(new Headers(headers)) } },
  );
}

/** `2025-01-02T03:04:05.678Z` exactly as `Date.prototype.toISOString` writes it (what an export holds). */
function isCanonicalTimestamp(value: string): boolean {
  // Four-digit years only: toISOString also writes (and reads back) `+020000-01-01T…`.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(value)) return false;
  const time = Date.parse(value);
  return Number.isFinite(time) && new Date(time).toISOString() === value;
}

/**
 * Parses an NDJSON import: one `{"text","createdAt"}` object per line; blank lines are skipped.
 *
 * Validates: each line is JSON, an object with exactly `text` (1 to MAX_NOTE_LENGTH characters,
 * as `notes_add` requires) and `createdAt` (an ISO 8601 UTC time as an export writes it).
 * Does not validate: duplicates (the import skips them) or the notebook's cap (the store does).
 * Returns the notes, or the first bad line's number (1-based) and what is wrong with it.
 */
export function parseNotesNdjson(text: string): { ok: true; notes: ExportedNote[] } | { ok: false; problem: string } {
  const notes: ExportedNote[] = [];
  const lines = text.split("\n");
  for (const [index, raw] of lines.entries()) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.trim() === "") continue;
    const bad = (what: string) => ({ ok: false, problem: `line ${index + 1}: ${what}` }) as const;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return bad("not JSON");
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) return bad("not a JSON object");
    const keys = Object.keys(value).sort();
    if (keys.length !== 2 || keys[0] !== "createdAt" || keys[1] !== "text") {
      return bad('a note is exactly {"text", "createdAt"}');
    }
    const { text: noteText, createdAt } = value as Record<string, unknown>;
    if (typeof noteText !== "string" || noteText.length === 0 || noteText.length > MAX_NOTE_LENGTH) {
      return bad(`text must be a string of 1 to ${MAX_NOTE_LENGTH} characters`);
    }
    if (typeof createdAt !== "string" || !isCanonicalTimestamp(createdAt)) {
      return bad("createdAt must be an ISO 8601 UTC time such as 2025-01-02T03:04:05.678Z");
    }
    notes.push({ text: noteText, createdAt });
  }
  return { ok: true, notes };
}

/** Reads `name` from the query at most once: the value, `undefined` when absent, or a problem. */
function single(url: URL, name: string): { value: string | undefined } | { problem: string } {
  const values = url.searchParams.getAll(name);
  if (values.length > 1) return { problem: `give ${name} once` };
  return { value: values[0] };
}

/** The default log: one JSON line on the console, as auth-common's log lines are. */
const consoleLine = (entry: NotesAdminLogEntry): void => {
  console.log(JSON.stringify({ level: "info", ...entry }));
};

/**
 * Serves `GET|POST|DELETE /admin/notes?tenant=<tenant key>` for an operator already admitted by
 * the admin gate: GET exports the tenant's notebook as NDJSON with its `notes-digest`; POST
 * imports NDJSON (`?dry_run=true` plans without writing), idempotently, all or nothing; DELETE
 * (`?digest=`) clears the notebook only if it is still what was exported with that digest.
 *
 * Validates: `tenant` is one key ({@link parseTenantKey}); the import body line by line
 * ({@link parseNotesNdjson}), refusing the whole body on the first bad line; `dry_run` is
 * `true`/`false`; `digest` is 64 hex digits.
 * Does not validate: who the caller is, the Host/Origin, or the body's size (the admin gate does).
 */
export async function serveNotesAdmin(
  request: Request,
  notes: NotesDirectory,
  log: (entry: NotesAdminLogEntry) => void = consoleLine,
): Promise<Response> {
  const refuse = (response: Response, tenant?: string) => {
    log({
      event: "notes_admin",
      action: "refused",
      status: response.status,
      ...(tenant === undefined ? {} : { tenant }),
    });
    return response;
  };
  if (!["GET", "POST", "DELETE"].includes(request.method)) {
    return refuse(
      problem(405, "invalid_request", `${NOTES_ADMIN_PATH} takes GET (export), POST (import) or DELETE (clear).`, {
        Allow: "GET, POST, DELETE",
      }),
    );
  }
  const url = new URL(request.url);
  const tenantParam = single(url, "tenant");
  if ("problem" in tenantParam) return refuse(problem(400, "invalid_request", `tenant: ${tenantParam.problem}.`));
  if (tenantParam.value === undefined) {
    return refuse(
      problem(400, "invalid_request", "tenant is required: ?tenant=<tenant key> (npm run notes -- tenant)."),
    );
  }
  const tenant = tenantParam.value;
  const parsed = parseTenantKey(tenant);
  if (!parsed.ok) return refuse(problem(400, "invalid_request", `tenant: ${parsed.problem}.`));
  const store = notes(tenant);
  if (request.method === "GET") return exportNotebook(store, tenant, log);
  if (request.method === "POST") return importNotebook(request, url, store, tenant, log, refuse);
  return clearNotebook(url, store, tenant, log, refuse);
}

async function exportNotebook(
  store: NotesStore,
  tenant: string,
  log: (entry: NotesAdminLogEntry) => void,
): Promise<Response> {
  const exported = await store.exportNotes();
  log({ event: "notes_admin", action: "export", status: 200, tenant, notes: exported.length });
  return new Response(notesNdjson(exported), {
    headers: {
      "Content-Type": "application/x-ndjson; charset=utf-8",
      "Cache-Control": "no-store",
      "Notes-Digest": await notesDigest(exported),
    },
  });
}

async function importNotebook(
  request: Request,
  url: URL,
  store: NotesStore,
  tenant: string,
  log: (entry: NotesAdminLogEntry) => void,
  refuse: (response: Response, tenant?: string) => Response,
): Promise<Response> {
  const dryRunParam = single(url, "dry_run");
  if ("problem" in dryRunParam || !["true", "false", undefined].includes(dryRunParam.value)) {
    return refuse(problem(400, "invalid_request", "dry_run is true or false, given at most once."), tenant);
  }
  const dryRun = dryRunParam.value === "true";
  const mediaType = request.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
  if (mediaType !== "application/x-ndjson") {
    return refuse(
      problem(415, "invalid_request", "Send the notes as application/x-ndjson, one note per line."),
      tenant,
    );
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(await request.arrayBuffer());
  } catch {
    return refuse(problem(400, "invalid_request", "The body is not UTF-8. Nothing was imported."), tenant);
  }
  const body = parseNotesNdjson(text);
  if (!body.ok) {
    return refuse(problem(400, "invalid_request", `${body.problem}. Nothing was imported.`), tenant);
  }
  const result = await store.importNotes(body.notes, { dryRun });
  if (!result.ok) {
    return refuse(
      problem(
        409,
        "notebook_full",
        `The import would leave ${result.wouldHold} notes; a notebook holds at most ${MAX_NOTES}. Nothing was imported.`,
      ),
      tenant,
    );
  }
  const { received, added, alreadyPresent } = result;
  log({ event: "notes_admin", action: "import", status: 200, tenant, received, added, alreadyPresent, dryRun });
  return Response.json(
    { tenant, received, added, alreadyPresent, dryRun },
    { headers: { "Cache-Control": "no-store" } },
  );
}

async function clearNotebook(
  url: URL,
  store: NotesStore,
  tenant: string,
  log: (entry: NotesAdminLogEntry) => void,
  refuse: (response: Response, tenant?: string) => Response,
): Promise<Response> {
  const digest = single(url, "digest");
  if ("problem" in digest || digest.value === undefined) {
    return refuse(
      problem(400, "invalid_request", "digest is required once: the notes-digest header of the export being removed."),
      tenant,
    );
  }
  if (!/^[0-9a-f]{64}$/.test(digest.value)) {
    return refuse(problem(400, "invalid_request", "digest is 64 lower-case hex digits (SHA-256)."), tenant);
  }
  const result = await store.clearNotes(digest.value);
  if (!result.ok) {
    return refuse(
      problem(
        409,
        "conflict",
        "The notebook changed since it was exported (its digest differs); export it again. Nothing was removed.",
      ),
      tenant,
    );
  }
  log({ event: "notes_admin", action: "clear", status: 200, tenant, removed: result.removed });
  return Response.json({ tenant, removed: result.removed }, { headers: { "Cache-Control": "no-store" } });
}

/**
 * The notes admin route as an app hands it to auth-common's admin gate:
 * `admin: { secret, maxBodyBytes: MAX_NOTES_IMPORT_BYTES, routes: notesAdminRoutes((env) => durableNotes(env.NOTES)) }`.
 */
export function notesAdminRoutes<E>(
  notesOf: (env: E) => NotesDirectory,
): Readonly<Record<string, (request: Request, env: E) => Promise<Response>>> {
  return { [NOTES_ADMIN_PATH]: (request, env) => serveNotesAdmin(request, notesOf(env)) };
}

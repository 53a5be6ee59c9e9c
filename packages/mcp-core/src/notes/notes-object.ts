// The one file in mcp-core that touches the Workers runtime: a Durable Object class must extend
// `DurableObject` to be callable over RPC. It is exported on its own subpath
// (`@mcp-auth/mcp-core/notes-object`) so the rest of the package stays importable in Node.
import { DurableObject } from "cloudflare:workers";
import {
  MAX_NOTES,
  notesDigest,
  notesNdjson,
  planImport,
  type AddNoteResult,
  type ClearNotesResult,
  type ExportedNote,
  type ImportNotesResult,
  type Note,
  type NotesDirectory,
} from "./notes-store.ts";

interface NoteRow extends Record<string, SqlStorageValue> {
  id: number;
  text: string;
  created_at: number;
}

function toNote(row: NoteRow): Note {
  return { id: row.id, text: row.text, createdAt: new Date(row.created_at).toISOString() };
}

/**
 * One notebook per tenant (the object's name: method + issuer + subject), in the object's SQLite storage. A Durable
 * Object runs one request at a time and each method's SQL commits atomically, so concurrent
 * `add` calls serialize: no write is ever lost and the size cap cannot be overshot.
 */
export class NotesObject extends DurableObject<unknown> {
  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env);
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT NOT NULL, created_at INTEGER NOT NULL)",
    );
  }

  list(): Note[] {
    return this.ctx.storage.sql
      .exec<NoteRow>("SELECT id, text, created_at FROM notes ORDER BY id")
      .toArray()
      .map(toNote);
  }

  add(text: string): AddNoteResult {
    const { count } = this.ctx.storage.sql.exec<{ count: number }>("SELECT count(*) AS count FROM notes").one();
    if (count >= MAX_NOTES) return { ok: false, reason: "notebook_full" };
    const row = this.ctx.storage.sql
      .exec<NoteRow>(
        "INSERT INTO notes (text, created_at) VALUES (?, ?) RETURNING id, text, created_at",
        text,
        Date.now(),
      )
      .one();
    return { ok: true, note: toNote(row) };
  }

  delete(id: number): boolean {
    return this.ctx.storage.sql.exec("DELETE FROM notes WHERE id = ?", id).rowsWritten > 0;
  }

  exportNotes(): ExportedNote[] {
    return this.list().map(({ text, createdAt }) => ({ text, createdAt }));
  }

  /**
   * The plan (what is new, the cap) and the inserts run in one `transactionSync`: nothing else
   * runs in between, and a throw half-way leaves the notebook as it was.
   */
  importNotes(notes: readonly ExportedNote[], options: { dryRun: boolean }): ImportNotesResult {
    return this.ctx.storage.transactionSync(() => {
      const plan = planImport(this.exportNotes(), notes, MAX_NOTES);
      if (!plan.ok) return plan;
      if (!options.dryRun) {
        for (const note of plan.toAdd) {
          this.ctx.storage.sql.exec(
            "INSERT INTO notes (text, created_at) VALUES (?, ?)",
            note.text,
            Date.parse(note.createdAt),
          );
        }
      }
      return { ok: true, ...plan.counts };
    });
  }

  /**
   * The digest is computed outside the transaction (it is async, and other calls may run while it
   * is awaited), so the transaction checks the notebook is still what was digested before deleting.
   */
  async clearNotes(expectedDigest: string): Promise<ClearNotesResult> {
    const before = this.exportNotes();
    if ((await notesDigest(before)) !== expectedDigest) return { ok: false, reason: "changed" };
    const snapshot = notesNdjson(before);
    return this.ctx.storage.transactionSync(() => {
      if (notesNdjson(this.exportNotes()) !== snapshot) return { ok: false, reason: "changed" } as const;
      return { ok: true, removed: this.ctx.storage.sql.exec("DELETE FROM notes").rowsWritten } as const;
    });
  }
}

/** Notebooks kept in a `NotesObject` namespace, one object per tenant. */
export function durableNotes(namespace: DurableObjectNamespace<NotesObject>): NotesDirectory {
  return (tenant) => {
    const stub = namespace.getByName(tenant);
    return {
      list: async () => stub.list(),
      add: async (text) => stub.add(text),
      delete: async (id) => stub.delete(id),
      exportNotes: async () => stub.exportNotes(),
      importNotes: async (notes, options) => stub.importNotes(notes, options),
      clearNotes: async (digest) => stub.clearNotes(digest),
    };
  };
}

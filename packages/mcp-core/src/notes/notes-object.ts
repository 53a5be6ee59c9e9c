// The one file in mcp-core that touches the Workers runtime: a Durable Object class must extend
// `DurableObject` to be callable over RPC. It is exported on its own subpath
// (`@mcp-auth/mcp-core/notes-object`) so the rest of the package stays importable in Node.
import { DurableObject } from "cloudflare:workers";
import { MAX_NOTES, type AddNoteResult, type Note, type NotesDirectory } from "./notes-store.ts";

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
}

/** Notebooks kept in a `NotesObject` namespace, one object per tenant. */
export function durableNotes(namespace: DurableObjectNamespace<NotesObject>): NotesDirectory {
  return (tenant) => {
    const stub = namespace.getByName(tenant);
    return {
      list: async () => stub.list(),
      add: async (text) => stub.add(text),
      delete: async (id) => stub.delete(id),
    };
  };
}

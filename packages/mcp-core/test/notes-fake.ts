import {
  MAX_NOTES,
  notesDigest,
  planImport,
  type AddNoteResult,
  type ClearNotesResult,
  type ExportedNote,
  type ImportNotesResult,
  type Note,
  type NotesStore,
} from "../src/notes/notes-store.ts";

/** An in-memory notebook for tests: records every call, and can be made full. */
export class MemoryNotes implements NotesStore {
  readonly notes: Note[] = [];
  readonly calls: string[] = [];
  private nextId = 1;
  private readonly capacity: number;

  constructor(capacity: number = MAX_NOTES) {
    this.capacity = capacity;
  }

  async list(): Promise<Note[]> {
    this.calls.push("list");
    return this.notes.map((note) => ({ ...note }));
  }

  async add(text: string): Promise<AddNoteResult> {
    this.calls.push(`add:${text}`);
    if (this.notes.length >= this.capacity) return { ok: false, reason: "notebook_full" };
    const note: Note = { id: this.nextId++, text, createdAt: new Date(Date.UTC(2025, 0, this.nextId)).toISOString() };
    this.notes.push(note);
    return { ok: true, note: { ...note } };
  }

  async delete(id: number): Promise<boolean> {
    this.calls.push(`delete:${id}`);
    const index = this.notes.findIndex((note) => note.id === id);
    if (index === -1) return false;
    this.notes.splice(index, 1);
    return true;
  }

  async exportNotes(): Promise<ExportedNote[]> {
    this.calls.push("export");
    return this.notes.map(({ text, createdAt }) => ({ text, createdAt }));
  }

  /** The Durable Object's rule ({@link planImport}), all or nothing. */
  async importNotes(notes: readonly ExportedNote[], options: { dryRun: boolean }): Promise<ImportNotesResult> {
    this.calls.push(`import:${notes.length}${options.dryRun ? ":dry" : ""}`);
    const plan = planImport(
      this.notes.map(({ text, createdAt }) => ({ text, createdAt })),
      notes,
      this.capacity,
    );
    if (!plan.ok) return plan;
    if (!options.dryRun) for (const note of plan.toAdd) this.notes.push({ id: this.nextId++, ...note });
    return { ok: true, ...plan.counts };
  }

  async clearNotes(expectedDigest: string): Promise<ClearNotesResult> {
    this.calls.push("clear");
    const current = this.notes.map(({ text, createdAt }) => ({ text, createdAt }));
    if ((await notesDigest(current)) !== expectedDigest) return { ok: false, reason: "changed" };
    return { ok: true, removed: this.notes.splice(0).length };
  }
}

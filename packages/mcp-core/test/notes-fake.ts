import { MAX_NOTES, type AddNoteResult, type Note, type NotesStore } from "../src/notes/notes-store.ts";

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
}

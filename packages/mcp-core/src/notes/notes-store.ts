/** One note. `id` is unique within the caller's notebook. */
export interface Note {
  id: number;
  text: string;
  /** ISO 8601 creation time. */
  createdAt: string;
}

/** Longest note text accepted. */
export const MAX_NOTE_LENGTH = 2000;
/** Most notes one notebook holds. */
export const MAX_NOTES = 1000;

/** Outcome of adding a note: stored, or refused because the notebook is full. */
export type AddNoteResult = { ok: true; note: Note } | { ok: false; reason: "notebook_full" };

/** One caller's notebook. Implementations must never lose a write under concurrency. */
export interface NotesStore {
  list(): Promise<Note[]>;
  add(text: string): Promise<AddNoteResult>;
  /** Returns false when the caller has no note with this id. */
  delete(id: number): Promise<boolean>;
}

/**
 * Opens the notebook of a tenant: the caller's `tenant` key (method + issuer + subject), never
 * the bare subject, so two callers whose subjects happen to be equal never share notes.
 */
export type NotesDirectory = (tenant: string) => NotesStore;

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

/**
 * One caller's notebook, and its whole-notebook operations for operators. Implementations must
 * never lose a write under concurrency.
 */
export interface NotesStore extends NotebookTransfer {
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

/** A note as it leaves one notebook and enters another: no id (ids are per notebook). */
export interface ExportedNote {
  text: string;
  /** ISO 8601 creation time, kept by an import. */
  createdAt: string;
}

/** What an import did, or would do on a dry run. */
export interface ImportCounts {
  /** Notes in the batch. */
  received: number;
  /** Notes written (on a dry run: that would be written). */
  added: number;
  /** Notes skipped because a note with the same text and createdAt is already there (or earlier in the batch). */
  alreadyPresent: number;
}

/** Outcome of an import: done (or planned), or refused whole because the notebook would pass {@link MAX_NOTES}. */
export type ImportNotesResult =
  ({ ok: true } & ImportCounts) | { ok: false; reason: "notebook_full"; received: number; wouldHold: number };

/** Outcome of clearing a notebook: the count removed, or refused because it changed since the export. */
export type ClearNotesResult = { ok: true; removed: number } | { ok: false; reason: "changed" };

/** A notebook as an operator moves it whole: export, import, clear (the notes admin route). */
export interface NotebookTransfer {
  /** Every note, in id order (creation order). */
  exportNotes(): Promise<ExportedNote[]>;
  /**
   * Adds the notes not already there, keeping their createdAt; atomic (all or nothing) and
   * idempotent (a rerun adds nothing). Refuses the whole batch when it would pass MAX_NOTES.
   */
  importNotes(notes: readonly ExportedNote[], options: { dryRun: boolean }): Promise<ImportNotesResult>;
  /** Deletes every note when the notebook's {@link notesDigest} is still `expectedDigest`. */
  clearNotes(expectedDigest: string): Promise<ClearNotesResult>;
}

/** The identity of a note across notebooks: its text and creation time. */
const noteKey = (note: ExportedNote) => JSON.stringify([note.text, note.createdAt]);

/**
 * What importing `incoming` into a notebook holding `existing` does: the notes to write (in batch
 * order) and how many are already there. The one rule both the Durable Object and the test store
 * apply. A note equal (text and createdAt) to one already present, or to an earlier one of the
 * batch, is skipped; the batch is refused whole when the notebook would pass `max`.
 */
export function planImport(
  existing: readonly ExportedNote[],
  incoming: readonly ExportedNote[],
  max: number = MAX_NOTES,
): { ok: true; toAdd: ExportedNote[]; counts: ImportCounts } | Extract<ImportNotesResult, { ok: false }> {
  const seen = new Set(existing.map(noteKey));
  const toAdd: ExportedNote[] = [];
  for (const note of incoming) {
    const key = noteKey(note);
    if (seen.has(key)) continue;
    seen.add(key);
    toAdd.push({ text: note.text, createdAt: note.createdAt });
  }
  const wouldHold = existing.length + toAdd.length;
  if (toAdd.length > 0 && wouldHold > max) {
    return { ok: false, reason: "notebook_full", received: incoming.length, wouldHold };
  }
  return {
    ok: true,
    toAdd,
    counts: { received: incoming.length, added: toAdd.length, alreadyPresent: incoming.length - toAdd.length },
  };
}

/** A notebook's export as NDJSON: one `{"text","createdAt"}` object per line, each line ending in `\n`. */
export function notesNdjson(notes: readonly ExportedNote[]): string {
  return notes.map((note) => `${JSON.stringify({ text: note.text, createdAt: note.createdAt })}\n`).join("");
}

/**
 * The content digest of a notebook: lower-case hex SHA-256 of its {@link notesNdjson} export.
 * The admin route sends it with an export (`notes-digest`), a clear must name it, and the notes
 * CLI computes the same over what it received, so a clear removes exactly what was exported.
 */
export async function notesDigest(notes: readonly ExportedNote[]): Promise<string> {
  const bytes = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(notesNdjson(notes)));
  return [...new Uint8Array(bytes)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

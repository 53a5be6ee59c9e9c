// The rehearsal's own account of every note: who wrote it, in which step, and who must be able to
// read it at the end. The final check reads each person's notebook through their own client and
// compares it with this, note by note (by the hash of its text).
import { noteHash } from "./people.ts";

/** The owner of notes written without a credential, until the operator gives them to someone. */
export const ANONYMOUS = "(anonymous notebook)";

export interface LedgerNote {
  hash: string;
  text: string;
  writer: string;
  step: number;
  /** Whose notebook it must be in after the migration. */
  owner: string;
  /** Written with a credential: an anonymous caller must never see it. */
  private: boolean;
}

export class Ledger {
  readonly notes: LedgerNote[] = [];
  private counter = 0;
  private readonly run = Math.random().toString(36).slice(2, 8);

  /** A fresh note text for `writer`. */
  text(writer: string): string {
    this.counter++;
    return `rehearsal ${this.run}: note ${String(this.counter)} by ${writer}`;
  }

  add(entry: Omit<LedgerNote, "hash">): LedgerNote {
    const note = { ...entry, hash: noteHash(entry.text) };
    this.notes.push(note);
    return note;
  }

  /** The operator gives every note of `from` to `to` (an inherited or moved notebook). */
  reassign(from: string, to: string): number {
    let moved = 0;
    for (const note of this.notes) {
      if (note.owner === from) {
        note.owner = to;
        moved++;
      }
    }
    return moved;
  }

  ownedBy(owner: string): LedgerNote[] {
    return this.notes.filter((note) => note.owner === owner);
  }

  /** Notes written with a credential, by hash: what an anonymous caller must never read. */
  privateHashes(): Set<string> {
    return new Set(this.notes.filter((note) => note.private).map((note) => note.hash));
  }

  describe(hash: string): string {
    const note = this.notes.find((entry) => entry.hash === hash);
    return note === undefined
      ? `note ${hash} (not written by this rehearsal)`
      : `note ${hash} (${note.writer}'s, step ${String(note.step)})`;
  }
}

/**
 * Compares what `owner` reads with what the ledger says they own: the notes missing (lost or
 * misplaced) and the notes they can read that are not theirs. Empty arrays mean exact.
 */
export function compareNotebook(
  ledger: Ledger,
  owner: string,
  read: readonly string[],
): { missing: string[]; foreign: string[] } {
  const expected = ledger.ownedBy(owner).map((note) => note.hash);
  const remaining = [...read];
  const missing: string[] = [];
  for (const hash of expected) {
    const at = remaining.indexOf(hash);
    if (at === -1) missing.push(hash);
    else remaining.splice(at, 1);
  }
  // Anything left is either someone else's note or a duplicate of one of theirs.
  return { missing, foreign: remaining };
}

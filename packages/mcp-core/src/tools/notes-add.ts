import { z } from "zod";
import { MAX_NOTE_LENGTH, MAX_NOTES } from "../notes/notes-store.ts";
import { noteSchema } from "./notes-list.ts";
import { defineTool } from "./tool.ts";

export const notesAdd = defineTool({
  name: "notes_add",
  title: "Add a note",
  description: `Stores a note in your notebook (at most ${MAX_NOTES} notes of ${MAX_NOTE_LENGTH} characters).`,
  input: z.object({
    text: z
      .string()
      .trim()
      .min(1, "text must not be empty")
      .max(MAX_NOTE_LENGTH, `text must be at most ${MAX_NOTE_LENGTH} characters`)
      .describe(`Note text, 1 to ${MAX_NOTE_LENGTH} characters`),
  }),
  output: z.object({ note: noteSchema.describe("The stored note") }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  scope: "notes:write",
  async handler({ text }, { notes }) {
    const result = await notes.add(text);
    if (!result.ok) {
      return { ok: false, message: `Your notebook is full (${MAX_NOTES} notes). Delete a note first.` };
    }
    return { ok: true, output: { note: result.note } };
  },
});

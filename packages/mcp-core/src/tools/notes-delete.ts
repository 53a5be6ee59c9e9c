import { z } from "zod";
import { defineTool } from "./tool.ts";

export const notesDelete = defineTool({
  name: "notes_delete",
  title: "Delete a note",
  description: "Deletes one of your notes by id.",
  input: z.object({ id: z.number().int().positive().describe("Id of the note to delete (from notes_list)") }),
  output: z.object({ deleted: z.number().int().describe("Id of the deleted note") }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  scope: "notes:write",
  async handler({ id }, { notes }) {
    if (!(await notes.delete(id))) return { ok: false, message: `You have no note with id ${id}.` };
    return { ok: true, output: { deleted: id } };
  },
});

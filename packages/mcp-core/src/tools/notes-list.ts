import { z } from "zod";
import { defineTool } from "./tool.ts";

export const noteSchema = z.object({
  id: z.number().int().describe("Note id, unique within your notebook"),
  text: z.string().describe("Note text"),
  createdAt: z.string().describe("ISO 8601 creation time"),
});

export const notesList = defineTool({
  name: "notes_list",
  title: "List notes",
  description: "Lists your notes, oldest first.",
  input: z.object({}),
  output: z.object({ notes: z.array(noteSchema).describe("Your notes, oldest first") }),
  annotations: { readOnlyHint: true, openWorldHint: false },
  scope: "notes:read",
  async handler(_input, { notes }) {
    return { ok: true, output: { notes: await notes.list() } };
  },
});

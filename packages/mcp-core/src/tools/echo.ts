import { z } from "zod";
import { defineTool } from "./tool.ts";

export const echo = defineTool({
  name: "echo",
  title: "Echo",
  description: "Returns the text you send. The cheapest call: useful to check a connection.",
  input: z.object({ text: z.string().max(10_000).describe("Text to send back (at most 10,000 characters)") }),
  output: z.object({ text: z.string().describe("The same text") }),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  scope: undefined,
  async handler({ text }) {
    return { ok: true, output: { text }, text };
  },
});

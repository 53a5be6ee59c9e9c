// The seeds' shape, for comparison only: an authless `McpAgent` (agents/mcp, feature-frozen since
// the SDK v2 move) serving the same five tools as packages/mcp-core, the way the original guides
// build it. Every MCP session is its own Durable Object, and notes live in that object's SQLite,
// so a notebook lasts as long as the session. Compare apps against it, do not extend it.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { McpAgent } from "agents/mcp";
import { z } from "zod";

// The same limits as mcp-core's notes store.
const MAX_NOTE_LENGTH = 2000;
const MAX_NOTES = 1000;

const noteSchema = z.object({
  id: z.number().int().describe("Note id, unique within your notebook"),
  text: z.string().describe("Note text"),
  createdAt: z.string().describe("ISO 8601 creation time"),
});
type Note = z.infer<typeof noteSchema>;

interface NoteRow {
  id: number;
  text: string;
  created_at: string;
  [column: string]: SqlStorageValue;
}

const toNote = (row: NoteRow): Note => ({ id: row.id, text: row.text, createdAt: row.created_at });

/** A tool's expected failure, as mcp-core reports it: text the model reads, flagged as an error. */
const failure = (message: string) => ({ content: [{ type: "text" as const, text: message }], isError: true });

/** A tool's structured answer, with its JSON as text for clients that read only `content`. */
const answer = <T extends Record<string, unknown>>(output: T, text = JSON.stringify(output)) => ({
  content: [{ type: "text" as const, text }],
  structuredContent: output,
});

/** The authless McpAgent: one instance per session, the five tools registered in `init()`. */
// eslint-disable-next-line @typescript-eslint/no-deprecated -- the frozen API is the point of this comparison
export class NotesAgent extends McpAgent {
  server = new McpServer({ name: "mcp-agent", version: "1.0.0" });

  /** Runs each time the agent starts (per session and after eviction): table, then tools. */
  async init(): Promise<void> {
    this.ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT NOT NULL, created_at TEXT NOT NULL)",
    );

    this.server.registerTool(
      "whoami",
      {
        title: "Who am I",
        description:
          "Shows who this server thinks you are: auth pattern, proof method, subject, client, scopes and expiry. Never shows the credential.",
        inputSchema: z.object({}),
        outputSchema: z.object({
          pattern: z.string().describe("Auth pattern of this server"),
          method: z.string().describe("How the caller proved who it is"),
          subject: z.string().describe("Stable id of the caller, as the issuer names them"),
          issuer: z.string().describe("Who vouched for the subject: an issuer URL, an Access team, or self"),
          displayName: z.string().optional().describe("Human-readable name, when known"),
          clientId: z.string().describe("The client the credential was issued to"),
          scopes: z.array(z.string()).describe("Effective scopes"),
          expiresAt: z.string().optional().describe("ISO 8601 expiry of the credential, when it expires"),
        }),
        annotations: { readOnlyHint: true, openWorldHint: false },
      },
      // No auth at all: every caller is the same anonymous one, with every scope (as no-auth's).
      async () =>
        answer({
          pattern: "mcp-agent",
          method: "anonymous",
          subject: "anonymous",
          issuer: "self",
          displayName: "Anonymous",
          clientId: "anonymous",
          scopes: ["notes:read", "notes:write"],
        }),
    );

    this.server.registerTool(
      "echo",
      {
        title: "Echo",
        description: "Returns the text you send. The cheapest call: useful to check a connection.",
        inputSchema: z.object({
          text: z.string().max(10_000).describe("Text to send back (at most 10,000 characters)"),
        }),
        outputSchema: z.object({ text: z.string().describe("The same text") }),
        annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
      },
      async ({ text }) => answer({ text }, text),
    );

    this.server.registerTool(
      "notes_list",
      {
        title: "List notes",
        description: "Lists your notes, oldest first.",
        inputSchema: z.object({}),
        outputSchema: z.object({ notes: z.array(noteSchema).describe("Your notes, oldest first") }),
        annotations: { readOnlyHint: true, openWorldHint: false },
      },
      async () => answer({ notes: this.sql<NoteRow>`SELECT * FROM notes ORDER BY id`.map(toNote) }),
    );

    this.server.registerTool(
      "notes_add",
      {
        title: "Add a note",
        description: `Stores a note in your notebook (at most ${MAX_NOTES} notes of ${MAX_NOTE_LENGTH} characters).`,
        inputSchema: z.object({
          text: z
            .string()
            .trim()
            .min(1, "text must not be empty")
            .max(MAX_NOTE_LENGTH, `text must be at most ${MAX_NOTE_LENGTH} characters`)
            .describe(`Note text, 1 to ${MAX_NOTE_LENGTH} characters`),
        }),
        outputSchema: z.object({ note: noteSchema.describe("The stored note") }),
        annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
      },
      async ({ text }) => {
        const [count] = this.sql<{ n: number }>`SELECT COUNT(*) AS n FROM notes`;
        if ((count?.n ?? 0) >= MAX_NOTES) {
          return failure(`Your notebook is full (${MAX_NOTES} notes). Delete a note first.`);
        }
        const [row] = this.sql<NoteRow>`INSERT INTO notes (text, created_at)
          VALUES (${text}, ${new Date().toISOString()}) RETURNING *`;
        if (row === undefined) throw new Error("INSERT … RETURNING gave no row");
        return answer({ note: toNote(row) });
      },
    );

    this.server.registerTool(
      "notes_delete",
      {
        title: "Delete a note",
        description: "Deletes one of your notes by id.",
        inputSchema: z.object({
          id: z.number().int().positive().describe("Id of the note to delete (from notes_list)"),
        }),
        outputSchema: z.object({ deleted: z.number().int().describe("Id of the deleted note") }),
        annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
      },
      async ({ id }) => {
        const deleted = this.sql<{ id: number }>`DELETE FROM notes WHERE id = ${id} RETURNING id`;
        if (deleted.length === 0) return failure(`You have no note with id ${id}.`);
        return answer({ deleted: id });
      },
    );
  }
}

// Streamable HTTP at /mcp; the agent's Durable Object binding is `MCP_OBJECT` (serve's default).
export default NotesAgent.serve("/mcp");

import { describe, expect, it } from "vitest";
import { TOOLS } from "../tools/index.ts";
import { CLIENT_KINDS, connectClient, resultText, type Connection } from "./clients.ts";

/** What an app tells the contract suite about itself. */
export interface ContractTarget {
  /** Shown in test names when an app runs the contract more than once (e.g. per credential type). */
  label?: string;
  /** Expected `whoami` pattern and method for the full-access caller. */
  pattern: string;
  method: string;
  /**
   * A caller holding `notes:read notes:write`: static credential `headers`, or (OAuth apps) an
   * `authProvider` factory whose SDK `OAuthClientProvider` supplies and refreshes the token.
   */
  fullAccess: () => Promise<Connection>;
  /**
   * A caller holding only `notes:read`. `stepUp` says whether a denied call is answered with
   * 403 `insufficient_scope` (patterns with an authorization server) or a tool error.
   */
  readOnly?: { connect: () => Promise<Connection>; stepUp: boolean };
  /** Strings that must never appear in any tool result (the credentials in use). */
  secrets?: () => Promise<string[]>;
}

const ALL_TOOLS = TOOLS.map((tool) => tool.name);
const READ_TOOLS = TOOLS.filter((tool) => tool.scope !== "notes:write").map((tool) => tool.name);

/**
 * The shared contract every app passes, whatever its auth pattern: both SDK client generations
 * and both protocol eras connect, list the tools their scopes allow, call them, keep notes, and
 * get tool errors (not 500s) for bad input. An app calls this once with its way to connect
 * (headers, or an OAuth client provider factory: see {@link Connection}).
 */
export function describeMcpContract(target: ContractTarget): void {
  for (const kind of CLIENT_KINDS) {
    describe(`MCP contract${target.label === undefined ? "" : ` (${target.label})`} — ${kind}`, () => {
      it("lists the whole tool set, each tool described with an input schema", async () => {
        const client = await connectClient(kind, await target.fullAccess());
        try {
          const tools = await client.listTools();
          expect(tools.map((tool) => tool.name).sort()).toEqual([...ALL_TOOLS].sort());
          for (const tool of tools) {
            expect(tool.description?.length ?? 0).toBeGreaterThan(10);
            expect(tool.inputSchema).toMatchObject({ type: "object" });
          }
        } finally {
          await client.close();
        }
      });

      it("whoami names the pattern, method and scopes, and never the credential", async () => {
        const client = await connectClient(kind, await target.fullAccess());
        try {
          const result = await client.callTool("whoami", {});
          expect(result.isError ?? false).toBe(false);
          expect(result.structuredContent).toMatchObject({ pattern: target.pattern, method: target.method });
          expect(result.structuredContent?.["scopes"]).toEqual(expect.arrayContaining(["notes:read", "notes:write"]));
          const serialized = JSON.stringify(result);
          for (const secret of (await target.secrets?.()) ?? []) expect(serialized).not.toContain(secret);
        } finally {
          await client.close();
        }
      });

      it("echo returns the text unchanged, unicode included", async () => {
        const client = await connectClient(kind, await target.fullAccess());
        try {
          const text = `héllo ${kind} ✓ <b>"quotes"</b>`;
          const result = await client.callTool("echo", { text });
          expect(result.isError ?? false).toBe(false);
          expect(resultText(result)).toBe(text);
          expect(result.structuredContent).toEqual({ text });
        } finally {
          await client.close();
        }
      });

      it("notes round trip: add, list, delete, list", async () => {
        const client = await connectClient(kind, await target.fullAccess());
        try {
          const text = `contract note ${kind} ${crypto.randomUUID()}`;
          const added = await client.callTool("notes_add", { text });
          expect(added.isError ?? false).toBe(false);
          const note = added.structuredContent?.["note"] as { id: number; text: string } | undefined;
          expect(note?.text).toBe(text);
          const listed = await client.callTool("notes_list", {});
          const notes = listed.structuredContent?.["notes"] as { id: number; text: string }[];
          expect(notes).toContainEqual(expect.objectContaining({ id: note?.id, text }));
          const deleted = await client.callTool("notes_delete", { id: note?.id });
          expect(deleted.structuredContent).toEqual({ deleted: note?.id });
          const after = await client.callTool("notes_list", {});
          expect((after.structuredContent?.["notes"] as { id: number }[]).map((n) => n.id)).not.toContain(note?.id);
          const again = await client.callTool("notes_delete", { id: note?.id });
          expect(again.isError).toBe(true);
          expect(resultText(again)).toMatch(/no note with id/);
        } finally {
          await client.close();
        }
      });

      it("input failing a tool's schema is a tool error naming the field, not a 500", async () => {
        const client = await connectClient(kind, await target.fullAccess());
        try {
          const empty = await client.callTool("notes_add", { text: "   " });
          expect(empty.isError).toBe(true);
          expect(resultText(empty)).toMatch(/text/);
          const wrongType = await client.callTool("notes_delete", { id: "seven" });
          expect(wrongType.isError).toBe(true);
          expect(resultText(wrongType)).toMatch(/id/);
          const tooLong = await client.callTool("notes_add", { text: "x".repeat(2001) });
          expect(tooLong.isError).toBe(true);
          expect(resultText(tooLong)).toMatch(/at most 2000/);
        } finally {
          await client.close();
        }
      });

      const readOnly = target.readOnly;
      if (readOnly) {
        it("a read-only caller sees only read tools, and a write is refused without effect", async () => {
          const client = await connectClient(kind, await readOnly.connect());
          try {
            expect((await client.listToolNames()).sort()).toEqual([...READ_TOOLS].sort());
            const before = await client.callTool("notes_list", {});
            expect(before.isError ?? false).toBe(false);
            if (readOnly.stepUp) {
              await expect(client.callTool("notes_add", { text: "step up" })).rejects.toThrow(
                /403|insufficient[ _]scope/i,
              );
            } else {
              const denied = await client.callTool("notes_add", { text: "should not be stored" });
              expect(denied.isError).toBe(true);
              expect(resultText(denied)).toMatch(/needs the scope notes:write/);
            }
            const after = await client.callTool("notes_list", {});
            expect(after.structuredContent).toEqual(before.structuredContent);
          } finally {
            await client.close();
          }
        });
      }
    });
  }
}

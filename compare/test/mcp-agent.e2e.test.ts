// The mcp-agent column's Worker (bench/mcp-agent) serves the same five tools as the apps, so the
// matrix compares like with like: driven here by the SDK v2 client under `wrangler dev`.
import { fileURLToPath } from "node:url";
import { startWranglerDev, type WranglerDev } from "@mcp-auth/dev-harness";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const AGENT_DIR = fileURLToPath(new URL("../../bench/mcp-agent", import.meta.url));

let dev: WranglerDev;
const clients: Client[] = [];

beforeAll(async () => {
  dev = await startWranglerDev({ cwd: AGENT_DIR });
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await dev.stop();
});

/** A client with its own MCP session (and so its own agent instance). */
async function connect(): Promise<Client> {
  const client = new Client({ name: "compare-test", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL("/mcp", dev.origin)));
  clients.push(client);
  return client;
}

describe("bench/mcp-agent (the seeds' McpAgent shape)", () => {
  it("lists exactly the apps' five tools", async () => {
    const client = await connect();
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(
      ["echo", "notes_add", "notes_delete", "notes_list", "whoami"].sort(),
    );
  });

  it("echoes the text back as text and structured output", async () => {
    const client = await connect();
    const result = await client.callTool({ name: "echo", arguments: { text: "hello agent" } });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({ text: "hello agent" });
    expect(result.content).toEqual([{ type: "text", text: "hello agent" }]);
  });

  it("adds, lists and deletes a note in the session's notebook", async () => {
    const client = await connect();
    const added = await client.callTool({ name: "notes_add", arguments: { text: "  buy milk  " } });
    expect(added.isError).toBeFalsy();
    const note = (added.structuredContent as { note: { id: number; text: string; createdAt: string } }).note;
    expect(note).toMatchObject({ text: "buy milk" });
    expect(Number.isNaN(Date.parse(note.createdAt))).toBe(false);

    const listed = await client.callTool({ name: "notes_list", arguments: {} });
    expect(listed.structuredContent).toEqual({ notes: [note] });

    const deleted = await client.callTool({ name: "notes_delete", arguments: { id: note.id } });
    expect(deleted.structuredContent).toEqual({ deleted: note.id });
    expect((await client.callTool({ name: "notes_list", arguments: {} })).structuredContent).toEqual({ notes: [] });

    const again = await client.callTool({ name: "notes_delete", arguments: { id: note.id } });
    expect(again.isError).toBe(true);
    expect(again.content).toEqual([{ type: "text", text: `You have no note with id ${note.id}.` }]);
  });

  it("keeps a notebook per session: another client does not see it", async () => {
    const first = await connect();
    const second = await connect();
    await first.callTool({ name: "notes_add", arguments: { text: "first session only" } });
    expect((await second.callTool({ name: "notes_list", arguments: {} })).structuredContent).toEqual({ notes: [] });
  });

  it("says every caller is the anonymous one of the mcp-agent pattern", async () => {
    const client = await connect();
    const result = await client.callTool({ name: "whoami", arguments: {} });
    expect(result.structuredContent).toMatchObject({
      pattern: "mcp-agent",
      method: "anonymous",
      subject: "anonymous",
      issuer: "self",
    });
  });
});

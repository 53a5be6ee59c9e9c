import { Client, ProtocolError, ProtocolErrorCode } from "@modelcontextprotocol/client";
import { InMemoryTransport, type CallToolResult } from "@modelcontextprotocol/server";
import { afterEach, describe, expect, it } from "vitest";
import type { Caller } from "../src/caller.ts";
import type { RegisterToolsOptions } from "../src/register-tools.ts";
import { buildServer, type ServerInfo } from "../src/server.ts";
import { MemoryNotes } from "./notes-fake.ts";

const INFO: ServerInfo = { name: "notes-test", version: "1.2.3", instructions: "Be kind." };

function caller(scopes: string[]): Caller {
  return {
    subject: "user-1",
    displayName: "Ada",
    clientId: "client-9",
    issuer: "https://idp.example.com",
    scopes,
    pattern: "token-validation",
    method: "jwt",
    expiresAt: undefined,
    tenant: "jwt|https%3A%2F%2Fidp.example.com|user-1",
  };
}

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((closable) => closable.close()));
});

/** A real server from buildServer, talked to by a real v2 client over the SDK's in-memory transport. */
async function connect(
  scopes: string[],
  notes = new MemoryNotes(),
  options: RegisterToolsOptions = {},
  info: ServerInfo = INFO,
) {
  const server = buildServer(info, { caller: caller(scopes), notes }, options);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: "test-client", version: "1.0.0" });
  await client.connect(clientSide);
  open.push(client, server);
  return { client, notes };
}

function text(result: CallToolResult): string {
  const block = result.content[0];
  return block?.type === "text" ? block.text : "";
}

describe("buildServer over an in-memory transport", () => {
  it("introduces itself with the given info and instructions", async () => {
    const { client } = await connect(["notes:read"]);
    expect(client.getServerVersion()).toMatchObject({ name: "notes-test", version: "1.2.3" });
    expect(client.getInstructions()).toBe("Be kind.");
    expect(client.getServerCapabilities()?.tools).toBeDefined();
  });

  it("has no instructions when none are given", async () => {
    const { client } = await connect([], undefined, undefined, { name: "n", version: "0" });
    expect(client.getInstructions()).toBeUndefined();
  });

  it.each<[string, string[], string[]]>([
    ["no scopes", [], ["whoami", "echo"]],
    ["notes:read", ["notes:read"], ["whoami", "echo", "notes_list"]],
    ["notes:write (implies read)", ["notes:write"], ["whoami", "echo", "notes_list", "notes_add", "notes_delete"]],
    ["both", ["notes:read", "notes:write"], ["whoami", "echo", "notes_list", "notes_add", "notes_delete"]],
  ])("a caller with %s sees exactly its tools", async (_label, scopes, names) => {
    const { client } = await connect(scopes);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(names);
  });

  it("lists schemas, titles and annotations", async () => {
    const { client } = await connect(["notes:write"]);
    const { tools } = await client.listTools();
    const add = tools.find((tool) => tool.name === "notes_add");
    expect(add?.title).toBe("Add a note");
    expect(add?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false });
    expect(add?.inputSchema).toMatchObject({ type: "object", required: ["text"] });
    expect(add?.outputSchema).toMatchObject({ type: "object" });
  });

  it("without deniedCalls, a notes:read caller's notes_add is an unknown tool and nothing is written", async () => {
    const { client, notes } = await connect(["notes:read"]);
    const error = await client.callTool({ name: "notes_add", arguments: { text: "x" } }).then(
      () => new Error("expected the call to be refused"),
      (refusal: unknown) => refusal,
    );
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toMatchObject({ code: ProtocolErrorCode.InvalidParams, message: "Tool notes_add not found" });
    expect(notes.calls).toEqual([]);
  });

  it("a denied call gets a tool error naming the missing scope, and the store is untouched", async () => {
    const { client, notes } = await connect(["notes:read"], new MemoryNotes(), { deniedCalls: new Set(["notes_add"]) });
    const result = await client.callTool({ name: "notes_add", arguments: { text: "sneaky" } });
    expect(result.isError).toBe(true);
    expect(text(result)).toContain("needs the scope notes:write");
    expect(text(result)).toBe(
      "notes_add needs the scope notes:write, which this server does not grant you (your scopes: notes:read).",
    );
    expect(result.structuredContent).toBeUndefined();
    expect(notes.calls).toEqual([]);
    expect(notes.notes).toEqual([]);
  });

  it("a denied call by a caller with no scopes says so", async () => {
    const { client, notes } = await connect([], new MemoryNotes(), { deniedCalls: new Set(["notes_list"]) });
    const result = await client.callTool({ name: "notes_list", arguments: {} });
    expect(result.isError).toBe(true);
    expect(text(result)).toBe(
      "notes_list needs the scope notes:read, which this server does not grant you (your scopes: none).",
    );
    expect(notes.calls).toEqual([]);
  });

  it("deniedCalls does not hide a tool the caller may use", async () => {
    const { client, notes } = await connect(["notes:write"], new MemoryNotes(), {
      deniedCalls: new Set(["notes_add"]),
    });
    const result = await client.callTool({ name: "notes_add", arguments: { text: "allowed" } });
    expect(result.isError).toBeFalsy();
    expect(notes.notes.map((note) => note.text)).toEqual(["allowed"]);
  });

  it("a full caller's notes_add writes and returns the note", async () => {
    const { client, notes } = await connect(["notes:write"]);
    const result = await client.callTool({ name: "notes_add", arguments: { text: "  hello  " } });
    expect(result.isError).toBeFalsy();
    expect(notes.calls).toEqual(["add:hello"]);
    expect(result.structuredContent).toStrictEqual({ note: notes.notes[0] });
    expect(JSON.parse(text(result))).toStrictEqual({ note: notes.notes[0] });
    const listed = await client.callTool({ name: "notes_list", arguments: {} });
    expect(listed.structuredContent).toStrictEqual({ notes: notes.notes });
  });

  it("a full notebook is a tool error with the handler's message", async () => {
    const { client } = await connect(["notes:write"], new MemoryNotes(0));
    const result = await client.callTool({ name: "notes_add", arguments: { text: "x" } });
    expect(result.isError).toBe(true);
    expect(text(result)).toBe("Your notebook is full (1000 notes). Delete a note first.");
  });

  it("notes_delete of a missing id is a tool error", async () => {
    const { client } = await connect(["notes:write"]);
    const result = await client.callTool({ name: "notes_delete", arguments: { id: 7 } });
    expect(result.isError).toBe(true);
    expect(text(result)).toBe("You have no note with id 7.");
  });

  it("echo answers with the handler's text", async () => {
    const { client } = await connect([]);
    const result = await client.callTool({ name: "echo", arguments: { text: "ping" } });
    expect(text(result)).toBe("ping");
    expect(result.structuredContent).toStrictEqual({ text: "ping" });
  });

  it("whoami reports the caller and no credential", async () => {
    const { client } = await connect(["notes:read"]);
    const result = await client.callTool({ name: "whoami", arguments: {} });
    expect(result.structuredContent).toStrictEqual({
      pattern: "token-validation",
      method: "jwt",
      subject: "user-1",
      issuer: "https://idp.example.com",
      displayName: "Ada",
      clientId: "client-9",
      scopes: ["notes:read"],
    });
  });

  describe("a notice", () => {
    const NOTICE = "This server requires a credential from 2027-01-15.";
    const options: RegisterToolsOptions = {
      notice: (who) => (who.scopes.includes("notes:write") ? undefined : NOTICE),
    };

    it("comes after the tool's own content; content[0] and structuredContent are unchanged", async () => {
      const { client } = await connect(["notes:read"], new MemoryNotes(), options);
      const result = await client.callTool({ name: "echo", arguments: { text: "ping" } });
      expect(result.content).toStrictEqual([
        { type: "text", text: "ping" },
        { type: "text", text: NOTICE },
      ]);
      expect(result.structuredContent).toStrictEqual({ text: "ping" });
    });

    it("is not added to a tool error", async () => {
      const { client } = await connect(["notes:read"], new MemoryNotes(), {
        ...options,
        deniedCalls: new Set(["notes_add"]),
      });
      const result = await client.callTool({ name: "notes_add", arguments: { text: "x" } });
      expect(result.isError).toBe(true);
      expect(result.content).toHaveLength(1);
    });

    it("is not added for a caller it answers undefined for", async () => {
      const { client } = await connect(["notes:write"], new MemoryNotes(), options);
      const result = await client.callTool({ name: "echo", arguments: { text: "ping" } });
      expect(result.content).toStrictEqual([{ type: "text", text: "ping" }]);
    });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ["empty text", { text: "" }, "text must not be empty"],
    ["whitespace text", { text: "   " }, "text must not be empty"],
    ["too long text", { text: "x".repeat(2001) }, "text must be at most 2000 characters"],
    ["no text", {}, "Invalid input: expected string, received undefined"],
  ])("invalid notes_add input (%s) is a tool error before the store", async (_label, args, message) => {
    const { client, notes } = await connect(["notes:write"]);
    const result = await client.callTool({ name: "notes_add", arguments: args });
    expect(result.isError).toBe(true);
    expect(text(result)).toBe(`Input validation error: Invalid arguments for tool notes_add: text: ${message}`);
    expect(notes.calls).toEqual([]);
  });
});

import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { Caller } from "../src/caller.ts";
import { MAX_NOTE_LENGTH, MAX_NOTES } from "../src/notes/notes-store.ts";
import { TOOLS, echo, notesAdd, notesDelete, notesList, whoami, type ToolDeps } from "../src/tools/index.ts";
import { MemoryNotes } from "./notes-fake.ts";

const CALLER: Caller = {
  subject: "user-1",
  displayName: "Ada",
  clientId: "client-9",
  issuer: "https://idp.example.com",
  scopes: ["notes:write", "notes:read"],
  pattern: "token-validation",
  method: "jwt",
  expiresAt: 1_700_000_000,
  tenant: "jwt|https%3A%2F%2Fidp.example.com|user-1",
};

function deps(notes = new MemoryNotes(), caller: Caller = CALLER): ToolDeps & { notes: MemoryNotes } {
  return { caller, notes };
}

describe("TOOLS", () => {
  it("lists the five tools in order with their scopes", () => {
    expect(TOOLS.map((tool) => [tool.name, tool.scope])).toEqual([
      ["whoami", undefined],
      ["echo", undefined],
      ["notes_list", "notes:read"],
      ["notes_add", "notes:write"],
      ["notes_delete", "notes:write"],
    ]);
  });

  describe.each(TOOLS.map((tool) => [tool.name, tool] as const))("%s", (_name, tool) => {
    it("describes every input field", () => {
      const schema = z.toJSONSchema(tool.input);
      const properties = Object.entries(schema.properties ?? {});
      for (const [field, property] of properties) {
        expect(typeof property === "object" && property.description, `${tool.name}.${field}`).toEqual(
          expect.stringMatching(/\S/),
        );
      }
      expect(Object.keys(tool.input.shape)).toEqual(properties.map(([field]) => field));
    });

    it("describes every output field", () => {
      const schema = z.toJSONSchema(tool.output);
      for (const [field, property] of Object.entries(schema.properties ?? {})) {
        expect(typeof property === "object" && property.description, `${tool.name}.${field}`).toEqual(
          expect.stringMatching(/\S/),
        );
      }
    });

    it("has a title and a description", () => {
      expect(tool.title).toMatch(/\S/);
      expect(tool.description).toMatch(/\S/);
    });

    it("rejects unknown input types", () => {
      expect(tool.input.safeParse(null).success).toBe(false);
      expect(tool.input.safeParse("text").success).toBe(false);
    });
  });
});

describe("whoami", () => {
  it("reports the caller with an ISO expiry and no credential", async () => {
    const outcome = await whoami.handler({}, deps());
    expect(outcome).toStrictEqual({
      ok: true,
      output: {
        pattern: "token-validation",
        method: "jwt",
        subject: "user-1",
        issuer: "https://idp.example.com",
        displayName: "Ada",
        clientId: "client-9",
        scopes: ["notes:write", "notes:read"],
        expiresAt: "2023-11-14T22:13:20.000Z",
      },
    });
    expect(JSON.stringify(outcome)).not.toMatch(/token"|credential|secret/i);
    if (outcome.ok) expect(whoami.output.parse(outcome.output)).toStrictEqual(outcome.output);
  });

  it("omits displayName and expiresAt when unknown", async () => {
    const outcome = await whoami.handler(
      {},
      deps(undefined, { ...CALLER, displayName: undefined, expiresAt: undefined }),
    );
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(Object.keys(outcome.output).sort()).toEqual([
      "clientId",
      "issuer",
      "method",
      "pattern",
      "scopes",
      "subject",
    ]);
  });

  it.each<[number, string]>([
    [1, "1970-01-01T00:00:01.000Z"],
    [4_102_444_800, "2100-01-01T00:00:00.000Z"],
  ])("formats expiresAt %i as %s", async (expiresAt, iso) => {
    const outcome = await whoami.handler({}, deps(undefined, { ...CALLER, expiresAt }));
    expect(outcome.ok && outcome.output.expiresAt).toBe(iso);
  });

  it("does not touch the notebook", async () => {
    const d = deps();
    await whoami.handler({}, d);
    expect(d.notes.calls).toEqual([]);
  });
});

describe("echo", () => {
  it.each(["", "hello", "caf\u00e9 \u{1F600}", "<script>", "x".repeat(10_000)])(
    "returns %j as output and text",
    async (text) => {
      const d = deps();
      expect(await echo.handler(echo.input.parse({ text }), d)).toStrictEqual({ ok: true, output: { text }, text });
      expect(d.notes.calls).toEqual([]);
    },
  );

  it.each<[string, unknown]>([
    ["10,001 characters", { text: "x".repeat(10_001) }],
    ["a number", { text: 1 }],
    ["null", { text: null }],
    ["no text", {}],
  ])("input rejects %s", (_label, input) => {
    const result = echo.input.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path)).toEqual([["text"]]);
  });
});

describe("notes_list", () => {
  it("lists an empty notebook", async () => {
    expect(await notesList.handler({}, deps())).toStrictEqual({ ok: true, output: { notes: [] } });
  });

  it("lists the notes, oldest first", async () => {
    const d = deps();
    await d.notes.add("first");
    await d.notes.add("second");
    const outcome = await notesList.handler(notesList.input.parse({}), d);
    expect(outcome).toStrictEqual({ ok: true, output: { notes: d.notes.notes } });
    expect(outcome.ok && outcome.output.notes.map((note) => note.text)).toEqual(["first", "second"]);
    if (outcome.ok) expect(notesList.output.parse(outcome.output)).toStrictEqual(outcome.output);
  });
});

describe("notes_add", () => {
  it("stores the trimmed note and returns it", async () => {
    const d = deps();
    const outcome = await notesAdd.handler(notesAdd.input.parse({ text: "  buy milk \n" }), d);
    expect(d.notes.calls).toEqual(["add:buy milk"]);
    expect(d.notes.notes.map((note) => note.text)).toEqual(["buy milk"]);
    expect(outcome).toStrictEqual({ ok: true, output: { note: d.notes.notes[0] } });
    if (outcome.ok) expect(notesAdd.output.parse(outcome.output)).toStrictEqual(outcome.output);
  });

  it("a full notebook is an expected failure with a message", async () => {
    const d = deps(new MemoryNotes(0));
    expect(await notesAdd.handler({ text: "one more" }, d)).toStrictEqual({
      ok: false,
      message: `Your notebook is full (${MAX_NOTES} notes). Delete a note first.`,
    });
    expect(d.notes.notes).toEqual([]);
  });

  it("fills up at capacity", async () => {
    const d = deps(new MemoryNotes(2));
    expect((await notesAdd.handler({ text: "a" }, d)).ok).toBe(true);
    expect((await notesAdd.handler({ text: "b" }, d)).ok).toBe(true);
    expect((await notesAdd.handler({ text: "c" }, d)).ok).toBe(false);
    expect(d.notes.notes.map((note) => note.text)).toEqual(["a", "b"]);
  });

  it.each([
    [`exactly ${MAX_NOTE_LENGTH} characters`, "x".repeat(MAX_NOTE_LENGTH), "x".repeat(MAX_NOTE_LENGTH)],
    [
      `${MAX_NOTE_LENGTH} characters plus surrounding spaces`,
      ` ${"x".repeat(MAX_NOTE_LENGTH)} `,
      "x".repeat(MAX_NOTE_LENGTH),
    ],
    ["one character", "a", "a"],
  ])("input accepts %s", (_label, text, parsed) => {
    expect(notesAdd.input.parse({ text })).toEqual({ text: parsed });
  });

  it.each<[string, unknown, string]>([
    ["an empty text", { text: "" }, "text must not be empty"],
    ["a whitespace-only text", { text: " \t\n " }, "text must not be empty"],
    [
      `${MAX_NOTE_LENGTH + 1} characters`,
      { text: "x".repeat(MAX_NOTE_LENGTH + 1) },
      `text must be at most ${MAX_NOTE_LENGTH} characters`,
    ],
  ])("input rejects %s", (_label, input, message) => {
    const result = notesAdd.input.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => [issue.path, issue.message])).toEqual([[["text"], message]]);
  });

  it.each<[string, unknown]>([
    ["a number", { text: 5 }],
    ["null", { text: null }],
    ["no text", {}],
  ])("input rejects %s as the wrong type", (_label, input) => {
    expect(notesAdd.input.safeParse(input).error?.issues.map((issue) => [issue.path, issue.code])).toEqual([
      [["text"], "invalid_type"],
    ]);
  });
});

describe("notes_delete", () => {
  it("deletes an existing note", async () => {
    const d = deps();
    await d.notes.add("keep");
    await d.notes.add("drop");
    const id = d.notes.notes[1]?.id ?? -1;
    expect(await notesDelete.handler(notesDelete.input.parse({ id }), d)).toStrictEqual({
      ok: true,
      output: { deleted: id },
    });
    expect(d.notes.notes.map((note) => note.text)).toEqual(["keep"]);
  });

  it("a missing id is an expected failure naming it", async () => {
    const d = deps();
    await d.notes.add("keep");
    expect(await notesDelete.handler({ id: 999 }, d)).toStrictEqual({
      ok: false,
      message: "You have no note with id 999.",
    });
    expect(d.notes.notes.map((note) => note.text)).toEqual(["keep"]);
  });

  it("deleting twice fails the second time", async () => {
    const d = deps();
    await d.notes.add("x");
    const id = d.notes.notes[0]?.id ?? -1;
    expect((await notesDelete.handler({ id }, d)).ok).toBe(true);
    expect(await notesDelete.handler({ id }, d)).toStrictEqual({
      ok: false,
      message: `You have no note with id ${id}.`,
    });
  });

  it.each<[string, unknown, string]>([
    ["a fractional id", { id: 1.5 }, "invalid_type"],
    ["a negative id", { id: -1 }, "too_small"],
    ["id zero", { id: 0 }, "too_small"],
    ["a string id", { id: "1" }, "invalid_type"],
    ["NaN", { id: Number.NaN }, "invalid_type"],
    ["Infinity", { id: Number.POSITIVE_INFINITY }, "invalid_type"],
    ["an unsafe integer", { id: 2 ** 53 }, "too_big"],
    ["no id", {}, "invalid_type"],
  ])("input rejects %s", (_label, input, code) => {
    const result = notesDelete.input.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => [issue.path, issue.code])).toEqual([[["id"], code]]);
  });
});

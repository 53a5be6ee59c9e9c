import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  MAX_NOTES_IMPORT_BYTES,
  NOTES_ADMIN_PATH,
  parseNotesNdjson,
  serveNotesAdmin,
  type NotesAdminLogEntry,
} from "../src/notes/notes-admin.ts";
import {
  MAX_NOTES,
  MAX_NOTE_LENGTH,
  notesDigest,
  notesNdjson,
  planImport,
  type ExportedNote,
} from "../src/notes/notes-store.ts";
import { MemoryNotes } from "./notes-fake.ts";

const note = (text: string, day: number): ExportedNote => ({
  text,
  createdAt: new Date(Date.UTC(2024, 0, day, 8, 0, 0, 125)).toISOString(),
});

describe("planImport (the rule the Durable Object and the test store share)", () => {
  it("skips notes already there and repeats within the batch; keeps createdAt and batch order", () => {
    const existing = [note("a", 1)];
    const plan = planImport(existing, [note("b", 2), note("a", 1), note("b", 2), note("a", 3)]);
    expect(plan).toEqual({
      ok: true,
      toAdd: [note("b", 2), note("a", 3)],
      counts: { received: 4, added: 2, alreadyPresent: 2 },
    });
  });

  it("the same text at another time is another note; the same time with other text too", () => {
    const plan = planImport([note("a", 1)], [note("a", 2), note("b", 1)]);
    expect(plan.ok && plan.counts).toEqual({ received: 2, added: 2, alreadyPresent: 0 });
  });

  it("refuses the whole batch when the notebook would pass the cap, and fills it exactly to the cap", () => {
    const existing = [note("a", 1), note("b", 2)];
    expect(planImport(existing, [note("c", 3), note("d", 4)], 3)).toEqual({
      ok: false,
      reason: "notebook_full",
      received: 2,
      wouldHold: 4,
    });
    expect(planImport(existing, [note("c", 3)], 3)).toMatchObject({ ok: true, counts: { added: 1 } });
    // A full notebook still takes a rerun that adds nothing.
    expect(planImport(existing, existing, 2)).toMatchObject({ ok: true, counts: { added: 0, alreadyPresent: 2 } });
  });
});

describe("notesDigest", () => {
  it("is the SHA-256 hex of the NDJSON export, so anyone holding the export computes it", async () => {
    const notes = [note("one", 1), note('two "quoted"\nline', 2)];
    const expected = createHash("sha256").update(notesNdjson(notes)).digest("hex");
    expect(await notesDigest(notes)).toBe(expected);
    expect(await notesDigest([])).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(await notesDigest([note("one", 1)])).not.toBe(await notesDigest([note("one", 2)]));
  });
});

describe("MemoryNotes transfer (the test store keeps the Durable Object's promises)", () => {
  it("import is idempotent and keeps createdAt; a dry run writes nothing", async () => {
    const store = new MemoryNotes();
    const batch = [note("a", 1), note("b", 2)];
    expect(await store.importNotes(batch, { dryRun: true })).toEqual({
      ok: true,
      received: 2,
      added: 2,
      alreadyPresent: 0,
    });
    expect(await store.exportNotes()).toEqual([]);
    expect(await store.importNotes(batch, { dryRun: false })).toMatchObject({ ok: true, added: 2 });
    expect(await store.importNotes(batch, { dryRun: false })).toMatchObject({ ok: true, added: 0, alreadyPresent: 2 });
    expect(await store.exportNotes()).toEqual(batch);
  });

  it("a batch past the cap writes nothing", async () => {
    const store = new MemoryNotes(2);
    await store.importNotes([note("a", 1)], { dryRun: false });
    expect(await store.importNotes([note("b", 2), note("c", 3)], { dryRun: false })).toEqual({
      ok: false,
      reason: "notebook_full",
      received: 2,
      wouldHold: 3,
    });
    expect(await store.exportNotes()).toEqual([note("a", 1)]);
  });

  it("clear needs the current digest: a stale one changes nothing", async () => {
    const store = new MemoryNotes();
    await store.importNotes([note("a", 1)], { dryRun: false });
    const stale = await notesDigest(await store.exportNotes());
    await store.add("added after the export");
    expect(await store.clearNotes(stale)).toEqual({ ok: false, reason: "changed" });
    expect(await store.exportNotes()).toHaveLength(2);
    expect(await store.clearNotes(await notesDigest(await store.exportNotes()))).toEqual({ ok: true, removed: 2 });
    expect(await store.exportNotes()).toEqual([]);
  });
});

describe("parseNotesNdjson", () => {
  it("reads an export back, with CRLF line ends and blank lines", () => {
    const notes = [note("a", 1), note("b\nc", 2)];
    expect(parseNotesNdjson(notesNdjson(notes))).toEqual({ ok: true, notes });
    expect(parseNotesNdjson(`\r\n${notesNdjson(notes).replaceAll("\n", "\r\n")}\n\n`)).toEqual({ ok: true, notes });
    expect(parseNotesNdjson("")).toEqual({ ok: true, notes: [] });
  });

  it.each([
    ["{", "line 1: not JSON"],
    ["null", "line 1: not a JSON object"],
    ['"text"', "line 1: not a JSON object"],
    ['{"text":"a"}', 'line 1: a note is exactly {"text", "createdAt"}'],
    ['{"text":"a","createdAt":"2024-01-01T00:00:00.000Z","id":1}', 'line 1: a note is exactly {"text", "createdAt"}'],
    [
      '{"text":1,"createdAt":"2024-01-01T00:00:00.000Z"}',
      `line 1: text must be a string of 1 to ${MAX_NOTE_LENGTH} characters`,
    ],
    [
      `{"text":"${"x".repeat(MAX_NOTE_LENGTH + 1)}","createdAt":"2024-01-01T00:00:00.000Z"}`,
      `line 1: text must be a string of 1 to ${MAX_NOTE_LENGTH} characters`,
    ],
    ...[
      "2024-01-01",
      "2024-01-01T00:00:00Z",
      "2024-13-01T00:00:00.000Z",
      "yesterday",
      "+020000-01-01T00:00:00.000Z",
    ].map(
      (createdAt) =>
        [
          `{"text":"a","createdAt":"${createdAt}"}`,
          "line 1: createdAt must be an ISO 8601 UTC time such as 2025-01-02T03:04:05.678Z",
        ] as [string, string],
    ),
  ])("refuses %s", (line, problem) => {
    expect(parseNotesNdjson(`${notesNdjson([note("fine", 1)])}\n${line}\n`)).toEqual({
      ok: false,
      problem: problem.replace("line 1", "line 3"),
    });
  });
});

describe("serveNotesAdmin (behind the admin gate)", () => {
  const tenant = "api_key|self|alice";
  const url = (query: Record<string, string>) =>
    `https://mcp.example.com${NOTES_ADMIN_PATH}?${new URLSearchParams(query).toString()}`;
  function setup() {
    const stores = new Map<string, MemoryNotes>();
    const directory = (key: string) => {
      let store = stores.get(key);
      if (store === undefined) stores.set(key, (store = new MemoryNotes()));
      return store;
    };
    const lines: NotesAdminLogEntry[] = [];
    const serve = (request: Request) => serveNotesAdmin(request, directory, (entry) => lines.push(entry));
    return { stores, directory, lines, serve };
  }

  it("logs one line per call: the action, the tenant and the counts", async () => {
    const { lines, serve } = setup();
    const body = notesNdjson([note("a", 1)]);
    await serve(
      new Request(url({ tenant }), { method: "POST", body, headers: { "content-type": "application/x-ndjson" } }),
    );
    const exported = await serve(new Request(url({ tenant })));
    await serve(new Request(url({ tenant, digest: exported.headers.get("notes-digest") ?? "" }), { method: "DELETE" }));
    await serve(new Request(url({ tenant: "bad" })));
    expect(lines).toEqual([
      {
        event: "notes_admin",
        action: "import",
        status: 200,
        tenant,
        received: 1,
        added: 1,
        alreadyPresent: 0,
        dryRun: false,
      },
      { event: "notes_admin", action: "export", status: 200, tenant, notes: 1 },
      { event: "notes_admin", action: "clear", status: 200, tenant, removed: 1 },
      { event: "notes_admin", action: "refused", status: 400 },
    ]);
  });

  it("a body that is not UTF-8 → 400, nothing imported", async () => {
    const { directory, serve } = setup();
    const answer = await serve(
      new Request(url({ tenant }), {
        method: "POST",
        body: new Uint8Array([0x7b, 0xff, 0x7d]),
        headers: { "content-type": "application/x-ndjson" },
      }),
    );
    expect(answer.status).toBe(400);
    expect(await answer.json()).toEqual({
      error: "invalid_request",
      error_description: "The body is not UTF-8. Nothing was imported.",
    });
    expect(await directory(tenant).exportNotes()).toEqual([]);
  });

  it("the import bound fits a full notebook of the longest notes at their longest in JSON", () => {
    const worst = note("\u0000".repeat(MAX_NOTE_LENGTH), 1);
    expect(notesNdjson([worst]).length * MAX_NOTES).toBeLessThanOrEqual(MAX_NOTES_IMPORT_BYTES);
  });
});

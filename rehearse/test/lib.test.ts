// The pieces a rehearsal's verdicts rest on: the config diff a user applies, the mapping check,
// the ledger comparison, the verdict table.
import { describe, expect, it } from "vitest";
import { configChanges, unifiedDiff } from "../lib/configs.ts";
import { ANONYMOUS, Ledger, compareNotebook } from "../lib/ledger.ts";
import { checkMapping } from "../lib/paths.ts";
import { verdictTable } from "../lib/record.ts";

describe("config diffs", () => {
  it("adding a key header: Cursor's and VS Code's configs gain the header, Claude Desktop's args gain --header", () => {
    const changes = configChanges(
      "ada",
      "notes",
      { mcpUrl: "http://localhost:8787/mcp" },
      { mcpUrl: "http://localhost:8787/mcp", headers: { Authorization: "Bearer <ada's key>" } },
    );
    expect(changes.map((change) => change.client)).toEqual(["Claude Desktop", "Cursor", "VS Code"]);
    const cursor = changes[1];
    expect(JSON.parse(cursor?.after ?? "")).toEqual({
      mcpServers: { notes: { url: "http://localhost:8787/mcp", headers: { Authorization: "Bearer <ada's key>" } } },
    });
    expect(cursor?.diff.split("\n").filter((line) => line.startsWith("+ "))).toEqual([
      '+       "url": "http://localhost:8787/mcp",',
      '+       "headers": {',
      '+         "Authorization": "Bearer <ada\'s key>"',
      "+       }",
    ]);
    expect(cursor?.diff.split("\n").filter((line) => line.startsWith("- "))).toEqual([
      '-       "url": "http://localhost:8787/mcp"',
    ]);
    expect(changes[0]?.diff).toContain('+         "--header",');
  });

  it("moving to an OAuth server: the header goes, the URL changes, nothing else", () => {
    const [, cursor] = configChanges(
      "ada",
      "notes",
      { mcpUrl: "http://localhost:8788/mcp", headers: { Authorization: "Bearer <ada's key>" } },
      { mcpUrl: "http://localhost:8789/mcp" },
    );
    const changed = cursor?.diff.split("\n").filter((line) => !line.startsWith("  ")) ?? [];
    expect(changed).toEqual([
      '-       "url": "http://localhost:8788/mcp",',
      '-       "headers": {',
      '-         "Authorization": "Bearer <ada\'s key>"',
      "-       }",
      '+       "url": "http://localhost:8789/mcp"',
    ]);
  });

  it("a diff of equal texts has no + or - line; applying the diff gives the after text", () => {
    expect(unifiedDiff("a\nb", "a\nb")).toBe("  a\n  b");
    const diff = unifiedDiff("a\nb\nc\nd", "a\nx\nc\ny\nd");
    const after = diff
      .split("\n")
      .filter((line) => !line.startsWith("- "))
      .map((line) => line.slice(2));
    const before = diff
      .split("\n")
      .filter((line) => !line.startsWith("+ "))
      .map((line) => line.slice(2));
    expect(after.join("\n")).toBe("a\nx\nc\ny\nd");
    expect(before.join("\n")).toBe("a\nb\nc\nd");
  });
});

describe("mapping check", () => {
  const sources = new Map([
    ["api_key|self|ada", "key owner ada"],
    ["api_key|self|bob", "key owner bob"],
  ]);
  const targets = new Map([
    ["oauth|idp|ada", "ada"],
    ["oauth|idp|bob", "bob"],
  ]);
  it("a complete mapping passes", () => {
    expect(
      checkMapping(
        [
          { from: "api_key|self|ada", to: "oauth|idp|ada" },
          { from: "api_key|self|bob", to: "oauth|idp|bob" },
        ],
        sources,
        targets,
      ),
    ).toBeUndefined();
  });
  it("a missing entry is named", () => {
    expect(checkMapping([{ from: "api_key|self|ada", to: "oauth|idp|ada" }], sources, targets)).toBe(
      "the mapping has no entry for key owner bob (api_key|self|bob): add one, then run the move again",
    );
  });
  it("an unknown subject on either side is named", () => {
    const both = [
      { from: "api_key|self|ada", to: "oauth|idp|ada" },
      { from: "api_key|self|bob", to: "oauth|idp|bob" },
    ];
    expect(checkMapping([...both, { from: "api_key|self|adaa", to: "oauth|idp|ada" }], sources, targets)).toContain(
      "unknown subject api_key|self|adaa",
    );
    expect(
      checkMapping(
        [both[0] ?? { from: "", to: "" }, { from: "api_key|self|bob", to: "oauth|idp|dan" }],
        sources,
        targets,
      ),
    ).toBe("the mapping sends notes to oauth|idp|dan, which is nobody on the new server: create or invite them first");
  });
});

describe("ledger", () => {
  it("exact when a notebook holds exactly its owner's notes; names what is missing and what is foreign", () => {
    const ledger = new Ledger();
    const a = ledger.add({ text: ledger.text("ada"), writer: "ada", step: 2, owner: "ada", private: true });
    const b = ledger.add({ text: ledger.text("bob"), writer: "bob", step: 2, owner: "bob", private: true });
    const anon = ledger.add({ text: ledger.text("x"), writer: "x", step: 1, owner: ANONYMOUS, private: false });
    expect(compareNotebook(ledger, "ada", [a.hash])).toEqual({ missing: [], foreign: [] });
    expect(compareNotebook(ledger, "ada", [a.hash, b.hash])).toEqual({ missing: [], foreign: [b.hash] });
    expect(compareNotebook(ledger, "ada", [])).toEqual({ missing: [a.hash], foreign: [] });
    // A duplicate of one's own note is foreign too: a move that ran twice.
    expect(compareNotebook(ledger, "ada", [a.hash, a.hash])).toEqual({ missing: [], foreign: [a.hash] });
    expect(ledger.reassign(ANONYMOUS, "ada")).toBe(1);
    expect(compareNotebook(ledger, "ada", [a.hash, anon.hash])).toEqual({ missing: [], foreign: [] });
    expect(ledger.privateHashes()).toEqual(new Set([a.hash, b.hash]));
    expect(ledger.describe(b.hash)).toBe(`note ${b.hash} (bob's, step 2)`);
  });
});

describe("verdict table", () => {
  it("one row per check with pass/FAIL and its evidence", () => {
    const lines = verdictTable([
      { id: "notes", label: "No note lost", ok: true, detail: "5 notes" },
      { id: "probe", label: "Probe", ok: false, detail: "step 9: served it" },
    ]);
    expect(lines[2]).toBe("No note lost  ✓ pass  5 notes");
    expect(lines[3]).toBe("Probe         ✗ FAIL  step 9: served it");
  });
});

// `compare --quick` as a person runs it: the whole stack started, every scenario run, the report
// written. Its JSON must hold a cell for every row × column, each measured or saying why not, and
// the security rows must show each app refusing what it must refuse: an app that regresses turns
// a cell, and this test, red.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkReportInBrowser } from "../lib/check-report.ts";
import type { Cell, CompareResults } from "../lib/results.ts";
import { SCHEMA } from "../lib/results.ts";

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, "..", "..");
const out = mkdtempSync(join(tmpdir(), "compare-e2e-"));
let results: CompareResults;
let stderr = "";

beforeAll(async () => {
  const answer = await run(process.execPath, [join(ROOT, "compare", "run.ts"), "--quick", "--json", "--out", out], {
    cwd: ROOT,
    maxBuffer: 64 * 1024 * 1024,
    timeout: 600_000,
  });
  stderr = answer.stderr;
  results = JSON.parse(answer.stdout) as CompareResults;
}, 660_000);

afterAll(() => {
  rmSync(out, { recursive: true, force: true });
});

const cell = (row: string, column: string): Cell | undefined => results.cells[row]?.[column];

describe("compare --quick", () => {
  it("writes the report files and says what it is doing on stderr", () => {
    for (const file of ["index.html", "results.json", "matrix.md"])
      expect(existsSync(join(out, file)), file).toBe(true);
    expect(JSON.parse(readFileSync(join(out, "results.json"), "utf8"))).toEqual(results);
    expect(stderr).toMatch(/\[compare +\d+ s\] starting dev-idp and the apps/);
    expect(stderr).toMatch(/throughput round 2 of 2/);
  });

  it("writes a page that opens clean in Chromium: no console error, no request beyond it, a bar per column, no empty cell", async () => {
    expect(await checkReportInBrowser(join(out, "index.html"))).toEqual([]);
  });

  it("has every column and row, and a well-formed cell in each", () => {
    expect(results.schema).toBe(SCHEMA);
    expect(results.settings.quick).toBe(true);
    expect(results.columns.map((column) => column.id)).toEqual([
      "no-auth",
      "tv-api-key",
      "tv-jwt",
      "tv-jwks",
      "tv-introspection",
      "oauth-proxy",
      "full-oauth-provider",
      "mcp-agent",
    ]);
    expect(results.rows.length).toBeGreaterThanOrEqual(19);
    for (const row of results.rows) {
      for (const column of results.columns) {
        const found = cell(row.id, column.id);
        expect(found, `${row.id} × ${column.id}`).toBeDefined();
        if (found?.kind === "measured") expect(found.value.trim(), `${row.id} × ${column.id}`).not.toBe("");
        else expect(found?.reason.trim(), `${row.id} × ${column.id}`).not.toBe("");
      }
    }
  });

  it("shows every authenticated column refusing what it must", () => {
    const authenticated = ["tv-api-key", "tv-jwt", "tv-jwks", "tv-introspection", "oauth-proxy", "full-oauth-provider"];
    for (const column of authenticated) {
      for (const row of ["anonymous-call", "forged-credential", "other-app-token", "cross-tenant", "missing-scope"]) {
        expect(cell(row, column), `${row} × ${column}`).toMatchObject({ kind: "measured", verdict: "good" });
      }
    }
    for (const column of results.columns.map((c) => c.id).filter((id) => id !== "mcp-agent")) {
      expect(cell("rebinding", column), `rebinding × ${column}`).toMatchObject({ kind: "measured", verdict: "good" });
    }
    for (const column of ["oauth-proxy", "full-oauth-provider"]) {
      expect(cell("code-replay", column)).toMatchObject({
        kind: "measured",
        value: "HTTP 400 invalid_grant",
        verdict: "good",
      });
      expect(cell("refresh-replay", column)).toMatchObject({
        kind: "measured",
        value: "HTTP 400 invalid_grant",
        verdict: "good",
      });
    }
    // (The McpAgent column's 2026-07-28 client fails version negotiation: that is its finding.)
    for (const column of results.columns.map((c) => c.id).filter((id) => id !== "mcp-agent")) {
      expect(cell("clients", column), `clients × ${column}`).toMatchObject({ kind: "measured", verdict: "good" });
    }
    // What the user pastes comes with the config the app's own page prints.
    expect(cell("paste", "tv-jwt")).toMatchObject({
      value: "URL + an Authorization header",
      detail: expect.stringContaining('"headers"') as string,
    });
    expect(cell("paste", "no-auth")).toMatchObject({
      value: "URL only",
      detail: expect.stringContaining('"mcpServers"') as string,
    });
    expect(cell("other-audience", "tv-jwt")).toMatchObject({ kind: "measured", verdict: "good" });
    expect(cell("other-audience", "full-oauth-provider")).toMatchObject({ kind: "measured", verdict: "good" });
    expect(cell("expired-credential", "tv-jwt")).toMatchObject({ kind: "measured", verdict: "good" });
  });

  it("measures revocation where there is a revoke action, and throughput for every column", () => {
    const revoked = new Map(results.revocations.map((revocation) => [revocation.column, revocation]));
    expect(revoked.get("tv-api-key")?.ms).toEqual(expect.any(Number));
    expect(revoked.get("full-oauth-provider")?.ms).toEqual(expect.any(Number));
    expect(cell("revocation", "tv-jwt")).toMatchObject({ kind: "not_applicable" });
    expect(results.throughput.map((entry) => entry.column).sort()).toEqual(results.columns.map((c) => c.id).sort());
    for (const entry of results.throughput) {
      expect(entry.reqPerSec, entry.column).toBeGreaterThan(0);
      expect(entry.ratioToBaseline, entry.column).toBeGreaterThan(0);
      expect(entry.p99Ms, entry.column).toBeGreaterThanOrEqual(entry.p50Ms);
    }
    expect(results.flows.map((flow) => flow.column)).toEqual(["oauth-proxy", "full-oauth-provider"]);
  });
});

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cellText, escapeHtml, escapeMarkdownCell, renderHtml, renderMarkdown, writeReport } from "../lib/report.ts";
import type { CompareResults } from "../lib/results.ts";
import { fixtureResults } from "./fixture.ts";

/** The `<td>`s of the matrix, tags stripped. */
function matrixCells(html: string): string[] {
  const table = html.slice(html.indexOf('<table class="matrix">'), html.indexOf("</table>"));
  return [...table.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((match) => (match[1] ?? "").replace(/<[^>]+>/g, ""));
}

describe("cellText", () => {
  it("prints every Cell kind as words, never blank", () => {
    expect(cellText({ kind: "measured", value: "401 invalid_token", verdict: "good" })).toEqual({
      verdict: "good",
      value: "401 invalid_token",
      detail: null,
    });
    expect(cellText({ kind: "not_measured", reason: "port in use" }).value).toBe("not measured: port in use");
    expect(cellText({ kind: "not_applicable", reason: "no OAuth" }).value).toBe("n/a: no OAuth");
    expect(cellText(undefined).value).toBe("not measured: no result for this cell");
    expect(cellText({ kind: "measured", value: "  " }).value).toBe(
      "not measured: the scenario returned an empty value",
    );
    expect(cellText({ kind: "not_measured", reason: "" }).value).toBe("not measured: no reason given");
  });
});

describe("renderHtml", () => {
  const results = fixtureResults();
  const html = renderHtml(results);

  it("prints each cell's value with its verdict as a word, and the errored scenario as not measured", () => {
    expect(html).toContain('<span class="v">✓ good</span>: 401 invalid_token');
    expect(html).toContain('<span class="v">✗ bad</span>: 200 result');
    expect(html).toContain('<span class="detail">anyone can call tools</span>');
    expect(html).toContain("• neutral");
    expect(html).toContain("not measured: dev-idp did not start: port 8788 in use");
    expect(html).toContain("n/a: no OAuth");
    const cells = matrixCells(html);
    expect(cells).toHaveLength(results.rows.length * results.columns.length);
    for (const cell of cells) expect(cell.trim()).not.toBe("");
  });

  it("prints not measured, never a blank, for a cell missing from the results", () => {
    const broken = fixtureResults();
    delete broken.cells["bundle"]?.["oauth-proxy"];
    expect(renderHtml(broken)).toContain("not measured: no result for this cell");
  });

  it("escapes every string that came from the results", () => {
    expect(html).not.toContain("<script>");
    expect(html).not.toContain("<b>server</b>");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("from a hostile &lt;b&gt;server&lt;/b&gt;");
    const hostile = fixtureResults();
    const [column] = hostile.columns;
    const [row] = hostile.rows;
    const [revocation] = hostile.revocations;
    if (column === undefined || row === undefined || revocation === undefined) throw new Error("fixture changed");
    column.label = '"><img src=x onerror=alert(1)>';
    row.explains = "<iframe>";
    revocation.action = "</text><script>";
    const out = renderHtml(hostile);
    expect(out).not.toMatch(/<img|<iframe|<script/);
  });

  it("names every column, every row and the group headings, with scoped headers", () => {
    for (const column of results.columns) {
      expect(html).toContain(`<th scope="col" data-column="${column.id}">${column.label}`);
    }
    for (const row of results.rows) expect(html).toContain(`<th scope="row">${row.label}`);
    for (const heading of [
      "Security behaviour observed",
      "What the operator can revoke and see",
      "Client experience",
      "Cost",
    ]) {
      expect(html).toContain(`<th scope="colgroup" class="group" colspan="4">${heading}</th>`);
    }
  });

  it("prints the run's settings and how to read it", () => {
    for (const text of [
      "2 cores, linux x64",
      "Node v24.21.0, wrangler 4.50.0",
      "1 round × 3 s per column",
      "--quick",
    ]) {
      expect(html).toContain(text);
    }
    for (const row of results.rows) expect(html).toContain(escapeHtml(row.explains));
  });

  it("draws one throughput bar per throughput entry, with p50 and p99 beside it", () => {
    const chart = html.slice(html.indexOf('<svg id="throughput-chart"'), html.indexOf("</svg>"));
    expect(chart.match(/<rect class="bar"/g)).toHaveLength(results.throughput.length);
    expect(chart).toContain("×0.94 baseline, ×2.90 McpAgent · 850 req/s · p50 8.1 ms · p99 33.0 ms");
    expect(chart).toContain('role="img" aria-label="Echo throughput');
    const fewer = fixtureResults();
    fewer.throughput.pop();
    const out = renderHtml(fewer);
    const fewerChart = out.slice(out.indexOf('<svg id="throughput-chart"'), out.indexOf("</svg>"));
    expect(fewerChart.match(/<rect class="bar"/g)).toHaveLength(2);
    expect(fewerChart).toContain("not measured: no throughput for this column");
  });

  it("draws one revocation bar per revocation, a null as still accepted after the wait", () => {
    const start = html.indexOf('<svg id="revocation-chart"');
    const chart = html.slice(start, html.indexOf("</svg>", start));
    expect(chart.match(/<rect class="bar/g)).toHaveLength(results.revocations.length);
    expect(chart).toContain("refused after 120 ms");
    expect(chart).toContain("✗ still accepted after 10000 ms");
    expect(chart).toContain('<rect class="bar unbounded"');
  });

  it("draws each OAuth flow as labelled phases", () => {
    const start = html.indexOf('<svg id="flow-chart"');
    const chart = html.slice(start, html.indexOf("</svg>", start));
    expect(chart.match(/<rect class="phase"/g)).toHaveLength(6);
    expect(chart).toContain(
      "discovery 40 ms → registration 25 ms → sign-in 300 ms → consent 120 ms → token 30 ms → first call 15 ms",
    );
    expect(chart).toContain("530 ms in all");
  });

  it("reaches for nothing outside the page", () => {
    expect(html).not.toMatch(/\b(src|href)\s*=/i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect(html).not.toMatch(/<script|<link|<img|<iframe/i);
    // The only URL is the one a server put in a cell, printed as text.
    expect(html.match(/https?:\/\//g)).toEqual(["https://"]);
    expect(html).toContain("<td>see https://example.com/x</td>");
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
  });

  it("says so instead of drawing an empty chart", () => {
    const empty: CompareResults = { ...fixtureResults(), revocations: [], flows: [] };
    const out = renderHtml(empty);
    expect(out).toContain("No revocation was measured in this run.");
    expect(out).toContain("No OAuth flow was measured in this run.");
    expect(out).not.toContain('id="revocation-chart"');
  });
});

describe("renderMarkdown", () => {
  const results = fixtureResults();
  const markdown = renderMarkdown(results);
  const lines = markdown.trimEnd().split("\n");

  it("names the run in one line, then one table line per row plus headers and group lines", () => {
    expect(lines[0]).toBe(
      "_compare run of 2026-12-07T21:00:00.000Z (`--quick`): 2 cores, Node v24.21.0, wrangler 4.50.0, linux x64_",
    );
    expect(lines[1]).toBe("");
    const table = lines.slice(2);
    expect(table).toHaveLength(2 + 4 + results.rows.length);
    expect(table[0]).toBe("|  | no-auth | token-validation · API key | oauth-proxy |");
    expect(table[1]).toBe("| --- | --- | --- | --- |");
    expect(table[2]).toBe("| **Security behaviour observed** |  |  |  |");
    expect(table[3]).toBe(
      "| Anonymous tools/call | ✗ bad: 200 result (anyone can call tools) | ✓ good: 401 invalid_token | ✓ good: 401 invalid_token |",
    );
    expect(table[4]).toBe(
      "| Replayed authorization code | n/a: no OAuth | n/a: no OAuth | not measured: dev-idp did not start: port 8788 in use |",
    );
  });

  it("escapes pipes, markup and line breaks, so every line keeps its column count", () => {
    expect(markdown).toContain("key \\| per caller");
    expect(markdown).toContain("&lt;script&gt;alert(1)&lt;/script&gt; (from a hostile &lt;b&gt;server&lt;/b&gt;)");
    expect(escapeMarkdownCell("a\nb\r\nc")).toBe("a b c");
    for (const line of lines.slice(2)) {
      expect(line.replaceAll("\\|", "").split("|")).toHaveLength(results.columns.length + 3);
    }
  });
});

describe("writeReport", () => {
  const dir = mkdtempSync(join(tmpdir(), "compare-report-"));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes index.html, results.json (pretty) and matrix.md", () => {
    const results = fixtureResults();
    const files = writeReport(results, join(dir, "out"));
    expect(readFileSync(files.html, "utf8")).toBe(renderHtml(results));
    expect(readFileSync(files.markdown, "utf8")).toBe(renderMarkdown(results));
    const json = readFileSync(files.json, "utf8");
    expect(JSON.parse(json)).toEqual(results);
    expect(json).toContain('\n  "schema": "mcp-auth-compare/1",');
    expect(files).toEqual({
      html: join(dir, "out", "index.html"),
      json: join(dir, "out", "results.json"),
      markdown: join(dir, "out", "matrix.md"),
    });
  });
});

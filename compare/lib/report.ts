// The report builder: one `compare` run's results (schema mcp-auth-compare/1) in, a self-contained
// HTML page, the same matrix as Markdown, and the raw JSON out. Every string in the results may come
// from a server under test, so every one is escaped; the page makes no request of its own (inline CSS
// and SVG only, and a Content-Security-Policy that forbids anything else).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Cell, Column, CompareResults, Flow, Revocation, RowGroup, Throughput } from "./results.ts";

/** Group headings, in the order the matrix shows them. */
export const GROUP_LABELS: Record<RowGroup, string> = {
  security: "Security behaviour observed",
  operator: "What the operator can revoke and see",
  client: "Client experience",
  cost: "Cost",
};

const GROUP_ORDER: RowGroup[] = ["security", "operator", "client", "cost"];

/** The verdict as a word with its symbol, so colour is never the only signal. */
export const VERDICT_TEXT = { good: "✓ good", bad: "✗ bad", neutral: "• neutral" } as const;

/** A cell's text: the verdict (printed as a word), the value, an optional second line; never empty. */
export interface CellText {
  verdict: keyof typeof VERDICT_TEXT | null;
  value: string;
  detail: string | null;
}

/** The cell's first line as printed: "✓ good: 401 invalid_token", "not measured: …". */
export function cellMain(text: CellText): string {
  return text.verdict === null ? text.value : `${VERDICT_TEXT[text.verdict]}: ${text.value}`;
}

/**
 * The text one cell prints, shared by the HTML and the Markdown. A missing cell or an empty value
 * prints "not measured: …" rather than a blank, so a gap in the run is never read as a result.
 */
export function cellText(cell: Cell | undefined): CellText {
  if (cell === undefined) return { verdict: null, value: "not measured: no result for this cell", detail: null };
  switch (cell.kind) {
    case "measured": {
      const verdict = cell.verdict ?? null;
      const value = cell.value.trim() === "" ? "not measured: the scenario returned an empty value" : cell.value;
      return { verdict, value, detail: cell.detail?.trim() ? cell.detail : null };
    }
    case "not_measured":
      return { verdict: null, value: `not measured: ${cell.reason.trim() || "no reason given"}`, detail: null };
    case "not_applicable":
      return { verdict: null, value: `n/a: ${cell.reason.trim() || "no reason given"}`, detail: null };
  }
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/** Escapes text for one GitHub-flavoured Markdown table cell (pipes, line breaks, inline HTML). */
export function escapeMarkdownCell(text: string): string {
  return text
    .replaceAll("\\", "\\\\")
    .replaceAll("|", "\\|")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replace(/\s*[\r\n]+\s*/g, " ");
}

/** A number for display: fixed decimals, or "—" when a server sent something that is not one. */
function num(value: number, digits = 0): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "—";
}

/** A bar length: finite, non-negative, at most `max`. */
function length(value: number, scale: number, max: number): number {
  if (!Number.isFinite(value) || value <= 0 || !(scale > 0)) return 0;
  return Math.min(max, (value / scale) * max);
}

/** The one-line name of the run: when, quick or full, on how many cores. */
export function runLine(results: CompareResults): string {
  const s = results.settings;
  const mode = s.quick ? "`--quick`" : "full run";
  const only = s.only === null ? "" : `, --only ${s.only.join(",")}`;
  return `compare run of ${results.startedAt} (${mode}${only}): ${s.cores} cores, Node ${s.node}, wrangler ${s.wrangler}, ${s.platform}`;
}

function columnLabel(columns: Column[], id: string): string {
  return columns.find((column) => column.id === id)?.label ?? id;
}

function groupedRows(results: CompareResults): { group: RowGroup; rows: CompareResults["rows"] }[] {
  return GROUP_ORDER.map((group) => ({ group, rows: results.rows.filter((row) => row.group === group) })).filter(
    (entry) => entry.rows.length > 0,
  );
}

// ---------------------------------------------------------------------------------------- Markdown

/**
 * The matrix as a GitHub-flavoured Markdown table: a header line naming the run, then one line per
 * row under a bold line per group; cells print the same text as the HTML page.
 */
export function renderMarkdown(results: CompareResults): string {
  const columns = results.columns;
  const line = (cells: string[]): string => `| ${cells.join(" | ")} |`;
  const out = [
    `_${escapeMarkdownCell(runLine(results))}_`,
    "",
    line(["", ...columns.map((column) => escapeMarkdownCell(column.label))]),
    line(["---", ...columns.map(() => "---")]),
  ];
  for (const { group, rows } of groupedRows(results)) {
    out.push(line([`**${GROUP_LABELS[group]}**`, ...columns.map(() => "")]));
    for (const row of rows) {
      const cells = columns.map((column) => {
        const text = cellText(results.cells[row.id]?.[column.id]);
        return escapeMarkdownCell(text.detail === null ? cellMain(text) : `${cellMain(text)} (${text.detail})`);
      });
      out.push(line([escapeMarkdownCell(row.label), ...cells]));
    }
  }
  return `${out.join("\n")}\n`;
}

// -------------------------------------------------------------------------------------------- HTML

const CSS = `
:root { color-scheme: light; --good: #1a7f37; --bad: #b42318; --neutral: #57606a; --ink: #1f2328; --line: #d0d7de; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); margin: 2rem auto; max-width: 80rem; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid var(--line); }
dl.settings { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dl.settings dt { font-weight: 600; }
.scroll { overflow-x: auto; }
table.matrix { border-collapse: collapse; font-size: 13px; }
table.matrix th, table.matrix td { border: 1px solid var(--line); padding: .35rem .5rem; vertical-align: top; text-align: left; }
table.matrix thead th { background: #f6f8fa; position: sticky; top: 0; }
table.matrix th.group { background: #eef1f4; font-size: 14px; }
.note { display: block; font-weight: normal; color: var(--neutral); font-size: 12px; }
.detail { display: block; color: var(--neutral); font-size: 12px; }
td.good { background: #e6f4ea; } td.bad { background: #fdecea; } td.none { background: #f6f8fa; color: var(--neutral); }
td.good .v { color: var(--good); font-weight: 600; } td.bad .v { color: var(--bad); font-weight: 600; }
svg { max-width: 100%; height: auto; } svg text { font: 12px system-ui, sans-serif; fill: var(--ink); } svg text.label { font-weight: 600; }
svg .bar { fill: #4c6ef5; } svg .bar.unbounded { fill: #fdecea; stroke: var(--bad); stroke-dasharray: 5 3; }
svg .axis { stroke: var(--neutral); }
`;

/** The matrix cell as HTML: the verdict word, the value, the detail as a second line. */
function cellHtml(cell: Cell | undefined): string {
  const text = cellText(cell);
  const cls =
    text.verdict === "good" || text.verdict === "bad" ? text.verdict : cell?.kind === "measured" ? "" : "none";
  const detail = text.detail === null ? "" : `<span class="detail">${escapeHtml(text.detail)}</span>`;
  const main =
    text.verdict === null
      ? escapeHtml(text.value)
      : `<span class="v">${escapeHtml(VERDICT_TEXT[text.verdict])}</span>: ${escapeHtml(text.value)}`;
  return `<td${cls ? ` class="${cls}"` : ""}>${main}${detail}</td>`;
}

function matrixHtml(results: CompareResults): string {
  const head = results.columns
    .map(
      (column) =>
        `<th scope="col" data-column="${escapeHtml(column.id)}">${escapeHtml(column.label)}<span class="note">${escapeHtml(column.note)}</span></th>`,
    )
    .join("");
  const body = groupedRows(results)
    .map(({ group, rows }) => {
      const heading = `<tr><th scope="colgroup" class="group" colspan="${results.columns.length + 1}">${escapeHtml(GROUP_LABELS[group])}</th></tr>`;
      const lines = rows.map((row) => {
        const cells = results.columns.map((column) => cellHtml(results.cells[row.id]?.[column.id])).join("");
        return `<tr data-row="${escapeHtml(row.id)}"><th scope="row">${escapeHtml(row.label)}<span class="note">scenario: ${escapeHtml(row.scenario)}</span></th>${cells}</tr>`;
      });
      return `<tbody>${heading}${lines.join("")}</tbody>`;
    })
    .join("");
  return `<div class="scroll"><table class="matrix"><caption>The matrix: each cell is what happened in this run</caption><thead><tr><th scope="col">Question</th>${head}</tr></thead>${body}</table></div>`;
}

// Each chart row: its label on a line of its own, then the bar with its numbers after it, so neither
// a long label nor a long number line is cut off.
const X0 = 4;
const BAR_W = 420;
const ROW_H = 44;
const WIDTH = X0 + BAR_W + 520;

function svg(id: string, label: string, height: number, content: string): string {
  const width = WIDTH;
  return `<svg id="${id}" role="img" aria-label="${escapeHtml(label)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"><title>${escapeHtml(label)}</title>${content}</svg>`;
}

/**
 * Throughput: one row per column (a bar for each one measured, "not measured" for the rest), the
 * ratio to the rate-limited baseline as the bar, and the ratio, req/s, p50 and p99 printed beside it.
 */
function throughputSvg(results: CompareResults): string {
  const byColumn = new Map<string, Throughput>(results.throughput.map((entry) => [entry.column, entry]));
  const ids = [...results.columns.map((column) => column.id)];
  for (const entry of results.throughput) if (!ids.includes(entry.column)) ids.push(entry.column);
  const scale = Math.max(1, ...results.throughput.map((entry) => entry.ratioToBaseline).filter(Number.isFinite));
  const rows = ids.map((id, index) => {
    const y = 10 + index * ROW_H;
    const label = `<text class="label" x="${X0}" y="${y + 12}">${escapeHtml(columnLabel(results.columns, id))}</text>`;
    const entry = byColumn.get(id);
    if (entry === undefined) {
      return `<g class="bar-row" data-column="${escapeHtml(id)}">${label}<text x="${X0}" y="${y + 32}">not measured: no throughput for this column</text></g>`;
    }
    const w = length(entry.ratioToBaseline, scale, BAR_W);
    const agent = entry.ratioToAgent === null ? "" : `, ×${num(entry.ratioToAgent, 2)} McpAgent`;
    const text = `×${num(entry.ratioToBaseline, 2)} baseline${agent} · ${num(entry.reqPerSec)} req/s · p50 ${num(entry.p50Ms, 1)} ms · p99 ${num(entry.p99Ms, 1)} ms`;
    return `<g class="bar-row" data-column="${escapeHtml(id)}">${label}<rect class="bar" x="${X0}" y="${y + 18}" width="${w.toFixed(1)}" height="18"><title>${escapeHtml(text)}</title></rect><text x="${(X0 + w + 6).toFixed(1)}" y="${y + 32}">${escapeHtml(text)}</text></g>`;
  });
  const height = 20 + ids.length * ROW_H;
  const one = X0 + length(1, scale, BAR_W);
  const baseline = `<line class="axis" x1="${one.toFixed(1)}" x2="${one.toFixed(1)}" y1="4" y2="${height - 4}" stroke-dasharray="4 3"><title>ratio 1: the rate-limited baseline</title></line>`;
  return svg(
    "throughput-chart",
    "Echo throughput per column as a ratio to the rate-limited baseline, with p50 and p99 latency",
    height,
    baseline + rows.join(""),
  );
}

/** Revocation: one bar per revoke action; a credential still accepted is a dashed bar to the wait, labelled. */
function revocationSvg(results: CompareResults): string {
  const list: Revocation[] = results.revocations;
  const scale = Math.max(1, ...list.map((entry) => entry.ms ?? entry.waitedMs).filter(Number.isFinite));
  const rows = list.map((entry, index) => {
    const y = 10 + index * ROW_H;
    const label = `${columnLabel(results.columns, entry.column)} · ${entry.action}`;
    const unbounded = entry.ms === null;
    const w = length(entry.ms ?? entry.waitedMs, scale, BAR_W);
    const text = unbounded
      ? `✗ still accepted after ${num(entry.waitedMs)} ms`
      : `refused after ${num(entry.ms ?? Number.NaN)} ms`;
    return `<g class="bar-row" data-column="${escapeHtml(entry.column)}"><text class="label" x="${X0}" y="${y + 12}">${escapeHtml(label)}</text><rect class="bar${unbounded ? " unbounded" : ""}" x="${X0}" y="${y + 18}" width="${w.toFixed(1)}" height="18"><title>${escapeHtml(text)}</title></rect><text x="${(X0 + w + 6).toFixed(1)}" y="${y + 32}">${escapeHtml(text)}</text></g>`;
  });
  return svg(
    "revocation-chart",
    "Revocation latency: milliseconds from the operator's revoke action to the first refused request",
    20 + list.length * ROW_H,
    rows.join(""),
  );
}

const PHASE_FILL = ["#4c6ef5", "#f59f00", "#37b24d", "#ae3ec9", "#1098ad", "#e8590c"];

/** OAuth flows: one stacked bar per flow, each phase a labelled segment, the phases listed under it. */
function flowsSvg(results: CompareResults): string {
  const total = (flow: Flow): number =>
    flow.phases.reduce((sum, phase) => sum + (Number.isFinite(phase.ms) ? Math.max(0, phase.ms) : 0), 0);
  const scale = Math.max(1, ...results.flows.map(total));
  const FLOW_H = 64;
  const rows = results.flows.map((flow, index) => {
    const y = 10 + index * FLOW_H;
    let x = X0;
    const segments = flow.phases.map((phase, p) => {
      const w = length(phase.ms, scale, BAR_W);
      const text = `${phase.name} ${num(phase.ms)} ms`;
      const segment = `<rect class="phase" data-phase="${escapeHtml(phase.name)}" x="${x.toFixed(1)}" y="${y + 18}" width="${w.toFixed(1)}" height="18" fill="${PHASE_FILL[p % PHASE_FILL.length]}"><title>${escapeHtml(text)}</title></rect>`;
      x += w;
      return segment;
    });
    const legend = flow.phases.map((phase) => `${phase.name} ${num(phase.ms)} ms`).join(" → ");
    return `<g class="flow" data-column="${escapeHtml(flow.column)}"><text class="label" x="${X0}" y="${y + 12}">${escapeHtml(columnLabel(results.columns, flow.column))}</text>${segments.join("")}<text x="${(x + 6).toFixed(1)}" y="${y + 32}">${escapeHtml(`${num(total(flow))} ms in all`)}</text><text x="${X0}" y="${y + 52}">${escapeHtml(legend)}</text></g>`;
  });
  return svg(
    "flow-chart",
    "OAuth flows: time per phase from the first request to the first successful tool call",
    20 + results.flows.length * FLOW_H,
    rows.join(""),
  );
}

function settingsHtml(results: CompareResults): string {
  const s = results.settings;
  const items: [string, string][] = [
    ["Run", s.quick ? "--quick (fewer rounds)" : "full"],
    ["Started", results.startedAt],
    ["Finished", results.finishedAt],
    ["Machine", `${s.cores} cores, ${s.platform}`],
    ["Versions", `Node ${s.node}, wrangler ${s.wrangler}`],
    [
      "Throughput",
      `${s.rounds} round${s.rounds === 1 ? "" : "s"} × ${s.seconds} s per column, concurrency ${s.concurrency}`,
    ],
    ["Columns", s.only === null ? "all" : `--only ${s.only.join(", ")}`],
    ["Schema", results.schema],
  ];
  return `<dl class="settings">${items.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join("")}</dl>`;
}

function howToReadHtml(results: CompareResults): string {
  const rows = results.rows
    .map((row) => `<li><strong>${escapeHtml(row.label)}</strong>: ${escapeHtml(row.explains)}</li>`)
    .join("");
  return `<p>Every cell is what one scenario observed in this run, never a typed claim. A verdict is printed as a word:
<strong>${VERDICT_TEXT.good}</strong> (what a careful server does), <strong>${VERDICT_TEXT.bad}</strong>, <strong>${VERDICT_TEXT.neutral}</strong> (a fact, no judgement).
<em>not measured: why</em> means the scenario could not run for that column; <em>n/a: why</em> means the question does not apply to it.</p><ul>${rows}</ul>`;
}

function section(title: string, empty: boolean, emptyText: string, content: () => string): string {
  return `<section><h2>${escapeHtml(title)}</h2>${empty ? `<p>${escapeHtml(emptyText)}</p>` : content()}</section>`;
}

/** The report as one self-contained HTML page: no script, no request beyond the page itself. */
export function renderHtml(results: CompareResults): string {
  const title = `MCP auth patterns compared: ${results.startedAt}${results.settings.quick ? " (--quick)" : ""}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<section><h2>Settings of this run</h2>${settingsHtml(results)}</section>
<section><h2>How to read this</h2>${howToReadHtml(results)}</section>
<section><h2>The matrix</h2>${matrixHtml(results)}</section>
${section("Throughput (echo)", results.columns.length === 0 && results.throughput.length === 0, "No column ran in this run.", () => `${throughputSvg(results)}<p class="note">Bar: requests per second over the rate-limited baseline's; the dashed line is ×1, the baseline itself.</p>`)}
${section("Revocation latency", results.revocations.length === 0, "No revocation was measured in this run.", () => `${revocationSvg(results)}<p class="note">A dashed bar is a credential still accepted when the wait ended.</p>`)}
${section("OAuth flows", results.flows.length === 0, "No OAuth flow was measured in this run.", () => flowsSvg(results))}
</body>
</html>
`;
}

/** The files {@link writeReport} writes. */
export interface ReportFiles {
  html: string;
  json: string;
  markdown: string;
}

/** Writes `index.html`, `results.json` (pretty) and `matrix.md` into `outDir`, creating it. */
export function writeReport(results: CompareResults, outDir: string): ReportFiles {
  mkdirSync(outDir, { recursive: true });
  const files = {
    html: join(outDir, "index.html"),
    json: join(outDir, "results.json"),
    markdown: join(outDir, "matrix.md"),
  };
  writeFileSync(files.html, renderHtml(results));
  writeFileSync(files.json, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(files.markdown, renderMarkdown(results));
  return files;
}

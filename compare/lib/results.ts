// The results of one `compare` run: what `compare-report/results.json` holds, what the report
// builder reads, and what `--json` prints. Versioned: a change that a reader of an older file
// would misread bumps SCHEMA.

/** The `schema` field of every results file this version writes. */
export const SCHEMA = "mcp-auth-compare/1";

/** One column of the matrix: an app (or one of its methods), or the seeds' McpAgent shape. */
export interface Column {
  /** Stable id, e.g. `no-auth`, `tv-api-key`, `oauth-proxy`, `mcp-agent`. */
  id: string;
  /** Shown as the column header, e.g. "token-validation · API key". */
  label: string;
  /** The app directory it runs, relative to the repo root, e.g. `apps/token-validation`. */
  dir: string;
  /** One line: how a caller proves who it is here. */
  note: string;
}

export type RowGroup = "security" | "operator" | "client" | "cost";

/** One row: a question every column answers by running the same scenario. */
export interface Row {
  /** Stable id, e.g. `anonymous-call`. */
  id: string;
  group: RowGroup;
  /** Shown as the row header. */
  label: string;
  /** Which scenario produced the row's cells (its id in compare/lib/scenarios). */
  scenario: string;
  /** What the cells say, in one sentence, for "how to read this". */
  explains: string;
}

/**
 * One cell. `measured`: `value` is what happened (an HTTP status and error code, a number with its
 * unit, a config), `verdict` says whether it is what a careful server does (never only a colour:
 * the report prints the word). `not_measured`: the scenario could not run here, and why.
 * `not_applicable`: the question does not apply to this column (no codes in an API-key app).
 */
export type Cell =
  | { kind: "measured"; value: string; detail?: string; verdict?: "good" | "bad" | "neutral" }
  | { kind: "not_measured"; reason: string }
  | { kind: "not_applicable"; reason: string };

/** Echo throughput of one column (the `bench` load generator, same settings for every column). */
export interface Throughput {
  column: string;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** reqPerSec over the rate-limited baseline's, and over the McpAgent column's, in this run. */
  ratioToBaseline: number;
  ratioToAgent: number | null;
}

/** How long after an operator's revoke action the first request was refused. */
export interface Revocation {
  column: string;
  /** What the operator did, e.g. "keys revoke", "Revoke on /account". */
  action: string;
  /** Milliseconds, or null when the credential was still accepted at the end of the wait. */
  ms: number | null;
  /** How long the scenario waited at most. */
  waitedMs: number;
}

/** One phase of an OAuth flow, from the first request to the first successful tool call. */
export interface FlowPhase {
  name: "discovery" | "registration" | "sign-in" | "consent" | "token" | "first call";
  ms: number;
}

export interface Flow {
  column: string;
  phases: FlowPhase[];
}

export interface Settings {
  quick: boolean;
  /** Throughput rounds per column and seconds per round. */
  rounds: number;
  seconds: number;
  concurrency: number;
  cores: number;
  node: string;
  wrangler: string;
  platform: string;
  /** `--only`, or null for every column. */
  only: string[] | null;
}

export interface CompareResults {
  schema: typeof SCHEMA;
  startedAt: string;
  finishedAt: string;
  settings: Settings;
  columns: Column[];
  rows: Row[];
  /** cells[rowId][columnId]; every row × column is present. */
  cells: Record<string, Record<string, Cell>>;
  throughput: Throughput[];
  revocations: Revocation[];
  flows: Flow[];
}

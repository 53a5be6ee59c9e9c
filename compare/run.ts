// `compare`: the four patterns (and the seeds' McpAgent shape) started side by side on the local
// stack, driven by the same scenarios, and reported as a matrix in which every cell is something
// that happened in this run.
//
//   npx -y pnpm@10.34.9 compare [--only no-auth,tv-jwt,…] [--quick] [--out compare-report] [--json]
//
// Progress goes to stderr, one line per step. Exit 0 when every scenario ran (whatever it found);
// 1, naming the step, when the harness itself could not run one.
import { availableParallelism, platform } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { readFileSync } from "node:fs";
import { stopAllGroups } from "@mcp-auth/dev-harness";
import { buildBundle } from "../bench/lib/bundles.ts";
import { measure, type LoadTarget } from "../bench/lib/load.ts";
import { median, percentile } from "../bench/lib/report.ts";
import { COLUMNS, kitOf, type Kit } from "./lib/columns.ts";
import { writeReport } from "./lib/report.ts";
import {
  SCHEMA,
  type Cell,
  type CompareResults,
  type Flow,
  type Revocation,
  type Row,
  type Throughput,
} from "./lib/results.ts";
import { REVOCATION_WAIT_MS, SCENARIOS, revocationLatency, type ScenarioContext } from "./lib/scenarios.ts";
import { ROOT, appCli, hasMcpAgent, serversFor, startStack, type Stack } from "./lib/stack.ts";

const USAGE = "usage: compare [--only COLUMN,…] [--quick] [--out DIR] [--json]";

function options() {
  const args = process.argv.slice(2);
  const { values } = parseArgs({
    args: args[0] === "--" ? args.slice(1) : args,
    options: {
      only: { type: "string" },
      quick: { type: "boolean", default: false },
      out: { type: "string", default: "compare-report" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  return values;
}

const startedAt = performance.now();
/** One progress line on stderr, with the elapsed time. */
const progress = (line: string) => {
  process.stderr.write(`[compare ${((performance.now() - startedAt) / 1000).toFixed(0).padStart(3)} s] ${line}\n`);
};

/** The harness itself failed at `step`: exit 1 naming it. */
class StepError extends Error {
  constructor(step: string, cause: unknown) {
    super(`${step}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

async function step<T>(name: string, work: () => Promise<T>): Promise<T> {
  progress(name);
  try {
    return await work();
  } catch (error) {
    throw new StepError(name, error);
  }
}

const REVOCATION_ROW: Row = {
  id: "revocation",
  group: "operator",
  label: "revoke → first refused request",
  scenario: "revocation",
  explains: `The operator's revoke action, then the credential polled every 100 ms for up to ${REVOCATION_WAIT_MS / 1000} s.`,
};
const OPERATOR_ROW: Row = {
  id: "operator",
  group: "operator",
  label: "what the operator can end, and what is recorded",
  scenario: "operator",
  explains:
    "The revoke action the column offers, and what its admin CLI shows after this run (usage counts, audit rows).",
};
const THROUGHPUT_ROW: Row = {
  id: "throughput",
  group: "cost",
  label: "echo throughput (× rate-limited baseline)",
  scenario: "throughput",
  explains:
    "tools/call echo with the column's credential, the bench load generator, ratio to a bare createMcpHandler Worker with the same rate-limit binding.",
};
const BUNDLE_ROW: Row = {
  id: "bundle",
  group: "cost",
  label: "bundle (gzip)",
  scenario: "bundle",
  explains: "wrangler deploy --dry-run, the Worker's JavaScript gzipped.",
};

async function main(): Promise<number> {
  const values = options();
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const quick = values.quick;
  const rounds = quick ? 2 : 4;
  const seconds = quick ? 3 : 5;
  const concurrency = 8;
  const known = COLUMNS.filter((column) => column.id !== "mcp-agent" || hasMcpAgent());
  const only =
    values.only
      ?.split(",")
      .map((name) => name.trim())
      .filter((name) => name !== "") ?? null;
  const unknown = only?.filter((name) => !known.some((column) => column.id === name)) ?? [];
  if (unknown.length > 0) {
    console.error(
      `compare: unknown column ${unknown.join(", ")}; the columns are ${known.map((c) => c.id).join(", ")}`,
    );
    return 2;
  }
  const columns = only === null ? known : known.filter((column) => only.includes(column.id));
  const began = new Date().toISOString();
  const stack: Stack = await step("starting dev-idp and the apps (wrangler dev, fresh state)", () =>
    startStack(serversFor(columns.map((column) => column.id)), progress),
  );
  try {
    const kits = new Map<string, Kit>(columns.map((column) => [column.id, kitOf(column, stack)]));
    // The other OAuth app's token, for "a token the other OAuth app issued" (one flow each, shared).
    const foreign = new Map<string, Promise<string | undefined>>();
    const tokenOf = (id: "full-oauth-provider" | "oauth-proxy") => {
      const column = COLUMNS.find((candidate) => candidate.id === id);
      if (column === undefined || stack.servers[column.server] === undefined) return Promise.resolve(undefined);
      const kit = kits.get(id) ?? kitOf(column, stack);
      if (!foreign.has(id))
        foreign.set(id, (async () => (kit.flow === undefined ? undefined : (await kit.flow()).accessToken))());
      return foreign.get(id) ?? Promise.resolve(undefined);
    };
    const context: ScenarioContext = {
      quick,
      foreignToken: (columnId) => tokenOf(columnId === "full-oauth-provider" ? "oauth-proxy" : "full-oauth-provider"),
    };

    const cells: Record<string, Record<string, Cell>> = {};
    const setCell = (row: string, column: string, cell: Cell) => {
      (cells[row] ??= {})[column] = cell;
    };
    const rows: Row[] = [];
    for (const scenario of SCENARIOS) {
      const row: Row = {
        id: scenario.id,
        group: scenario.group,
        label: scenario.label,
        scenario: scenario.scenario,
        explains: scenario.explains,
      };
      rows.push(row);
      cells[row.id] = {};
      for (const column of columns) {
        const kit = kits.get(column.id);
        if (kit === undefined) continue;
        setCell(row.id, column.id, await step(`${column.id}: ${scenario.label}`, () => scenario.run(kit, context)));
      }
    }

    // Revocation: every column's at once (an introspection cache may take tens of seconds).
    rows.push(REVOCATION_ROW, OPERATOR_ROW);
    cells[REVOCATION_ROW.id] = {};
    cells[OPERATOR_ROW.id] = {};
    const revocations: Revocation[] = [];
    // Polled columns, named every few seconds while any is still accepted (never a silent minute).
    const waiting = new Set(columns.map((column) => column.id));
    const heartbeat = setInterval(() => {
      if (waiting.size > 0) progress(`revocation: still polling ${[...waiting].join(", ")}`);
    }, 5000);
    try {
      await step("revocation: each column's revoke action, then polling until refused", async () => {
        await Promise.all(
          columns.map(async (column) => {
            const kit = kits.get(column.id);
            if (kit === undefined) return;
            const revoker = await kit.revoker();
            if (typeof revoker === "string") {
              waiting.delete(column.id);
              setCell(REVOCATION_ROW.id, column.id, { kind: "not_applicable", reason: revoker });
              setCell(OPERATOR_ROW.id, column.id, {
                kind: "measured",
                value: "nothing per caller",
                detail: revoker,
                verdict: "neutral",
              });
              return;
            }
            const ms = await revocationLatency(kit, revoker);
            waiting.delete(column.id);
            progress(
              `revocation: ${column.id} ${ms === null ? "still accepted" : `refused after ${Math.round(ms)} ms`}`,
            );
            revocations.push({ column: column.id, action: revoker.action, ms, waitedMs: REVOCATION_WAIT_MS });
            // What still works afterwards: the grant's refresh, where there is one.
            const after =
              revoker.refreshAfter === undefined ? undefined : `then a refresh: ${await revoker.refreshAfter()}`;
            setCell(REVOCATION_ROW.id, column.id, {
              kind: "measured",
              value:
                ms === null
                  ? `still accepted after ${REVOCATION_WAIT_MS / 1000} s (${revoker.action})`
                  : `${Math.round(ms)} ms (${revoker.action})`,
              verdict: ms === null ? "bad" : "good",
              ...(after === undefined ? {} : { detail: after }),
            });
            setCell(OPERATOR_ROW.id, column.id, {
              kind: "measured",
              value: `${revoker.action}; ${await records(kit, stack)}`,
              verdict: "neutral",
            });
          }),
        );
      });
    } finally {
      clearInterval(heartbeat);
    }

    // Throughput, one column at a time, with the rate-limited baseline as the yardstick.
    rows.push(THROUGHPUT_ROW, BUNDLE_ROW);
    cells[THROUGHPUT_ROW.id] = {};
    cells[BUNDLE_ROW.id] = {};
    const baseline = stack.servers["baseline-rl"];
    if (baseline === undefined) throw new StepError("throughput", "the baseline did not start");
    const loads: { id: string; target: LoadTarget }[] = [
      { id: "baseline-rl", target: { name: "baseline+rl", url: `${baseline.origin}/mcp` } },
    ];
    for (const column of columns) {
      const kit = kits.get(column.id);
      if (kit === undefined) continue;
      const header = await kit.load();
      loads.push({
        id: column.id,
        target: {
          name: column.id,
          url: `${kit.server.origin}/mcp`,
          ...(header() === undefined ? {} : { authorization: () => header() ?? "" }),
          ...(column.id === "mcp-agent" ? { session: true } : {}),
        },
      });
    }
    // A warm-up per target first: the first seconds of a Worker are not its steady state.
    for (const { id, target } of loads) {
      await step(`throughput warm-up: ${id}`, () => measure(target, quick ? 1 : 3, concurrency, () => false));
    }
    const samples = new Map<string, { rps: number[]; latencies: number[]; errors: number; problem?: string }>();
    for (let round = 1; round <= rounds; round++) {
      for (const { id, target } of loads) {
        const result = await step(`throughput round ${round} of ${rounds}: ${id}`, () =>
          measure(target, seconds, concurrency, () => false),
        );
        const sample = samples.get(id) ?? { rps: [], latencies: [], errors: 0 };
        sample.rps.push(result.rps);
        sample.latencies.push(...result.latencies);
        sample.errors += result.errors;
        if (result.problems[0] !== undefined) sample.problem = result.problems[0];
        samples.set(id, sample);
      }
    }
    const rpsOf = (id: string) => median(samples.get(id)?.rps ?? [0]);
    const throughput: Throughput[] = [];
    for (const column of columns) {
      const sample = samples.get(column.id);
      if (sample === undefined) continue;
      if (sample.rps.every((rps) => rps === 0)) {
        setCell(THROUGHPUT_ROW.id, column.id, {
          kind: "not_measured",
          reason: `no echo succeeded: ${sample.problem ?? "?"}`,
        });
        continue;
      }
      const entry: Throughput = {
        column: column.id,
        reqPerSec: rpsOf(column.id),
        p50Ms: percentile(sample.latencies, 50),
        p99Ms: percentile(sample.latencies, 99),
        ratioToBaseline: rpsOf(column.id) / rpsOf("baseline-rl"),
        ratioToAgent: samples.has("mcp-agent") ? rpsOf(column.id) / rpsOf("mcp-agent") : null,
      };
      throughput.push(entry);
      setCell(THROUGHPUT_ROW.id, column.id, {
        kind: "measured",
        value: `${entry.ratioToBaseline.toFixed(2)}× (${entry.reqPerSec.toFixed(0)} req/s)`,
        detail: `p50 ${entry.p50Ms.toFixed(1)} ms, p99 ${entry.p99Ms.toFixed(1)} ms${entry.ratioToAgent === null ? "" : `, ${entry.ratioToAgent.toFixed(2)}× McpAgent`}${sample.errors > 0 ? `, ${sample.errors} errors` : ""}`,
        verdict: "neutral",
      });
    }

    for (const column of columns) {
      const bundle = await step(`bundle: ${column.dir}`, () => buildBundle(ROOT, join(ROOT, column.dir)));
      setCell(BUNDLE_ROW.id, column.id, {
        kind: "measured",
        value: `${bundle.gzipKiB.toFixed(0)} KiB`,
        verdict: "neutral",
      });
    }

    const flows: Flow[] = [];
    for (const column of columns) {
      const kit = kits.get(column.id);
      if (kit?.flow === undefined) continue;
      const flow = await kit.flow();
      flows.push({
        column: column.id,
        phases: (Object.keys(flow.phases) as (keyof typeof flow.phases)[]).map((name) => ({
          name,
          ms: flow.phases[name],
        })),
      });
    }

    const results: CompareResults = {
      schema: SCHEMA,
      startedAt: began,
      finishedAt: new Date().toISOString(),
      settings: {
        quick,
        rounds,
        seconds,
        concurrency,
        cores: availableParallelism(),
        node: process.version,
        wrangler: wranglerVersion(),
        platform: `${platform()} ${process.arch}`,
        only,
      },
      columns: columns.map(({ server: _server, ...column }) => column),
      rows,
      cells,
      throughput,
      revocations,
      flows,
    };
    const out = resolve(values.out);
    await step(`writing the report to ${out}`, async () => writeReport(results, out));
    if (values.json) console.log(JSON.stringify(results, null, 2));
    progress(`done: ${join(out, "index.html")}`);
    return 0;
  } finally {
    await stack.stop();
  }
}

/** What the column's admin CLI records per caller after this run. */
async function records(kit: Kit, stack: Stack): Promise<string> {
  if (kit.column.id === "tv-api-key") {
    const listed = await appCli(kit.server, "keys.ts", ["list"]);
    const keys = Array.isArray(listed) ? listed : ((listed["keys"] as unknown[] | undefined) ?? []);
    return `the key CLI lists ${keys.length} keys with their use`;
  }
  if (kit.column.id === "full-oauth-provider") {
    const rows = await appCli(kit.server, "users.ts", ["audit", "--limit", "1000"], { PASSWORD_PEPPER: stack.pepper });
    return `${Array.isArray(rows) ? rows.length : 0} audit rows`;
  }
  if (kit.column.id === "oauth-proxy") {
    const listed = await appCli(kit.server, "proxy-grants.ts", ["list"]);
    const grants = (listed as { grants?: unknown[] }).grants ?? [];
    return `the grant CLI lists ${grants.length} grants; log lines`;
  }
  return "log lines only";
}

function wranglerVersion(): string {
  try {
    const manifest = JSON.parse(
      readFileSync(join(ROOT, "apps", "no-auth", "node_modules", "wrangler", "package.json"), "utf8"),
    ) as { version: string };
    return manifest.version;
  } catch {
    return "unknown";
  }
}

let exitCode: number;
try {
  exitCode = await main();
} catch (error) {
  console.error(
    `compare: ${error instanceof StepError ? "failed at " : ""}${error instanceof Error ? error.message : String(error)}`,
  );
  exitCode = 1;
} finally {
  await stopAllGroups();
}
process.exit(exitCode);

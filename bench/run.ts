// Benchmark: `tools/call echo` throughput of every target in bench/targets.ts (the apps, and the
// bare `createMcpHandler` baselines they are compared with), plus the gzip size of every app's
// bundle. Run from the repo root with `node bench/run.ts` (Node 24 strips the types). It is a
// report: exit 0 even below target, non-zero only when something broke (a server did not start,
// a build failed, a request failed).
//
// Only ever talks to loopback (127.0.0.1, or localhost for a Worker that answers only on its
// public origin), on ports it picks itself, so a running `pnpm dev` is left alone; it only stops
// the process groups it started (through @mcp-auth/dev-harness) and what the rows' setups started.

import { startWranglerDev, stopAllGroups, type WranglerDev } from "@mcp-auth/dev-harness";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildBundle, bundleDirs, type Bundle } from "./lib/bundles.ts";
import { measureVerifyCost } from "./lib/verify-cost.ts";
import type { Credential } from "./lib/credentials.ts";
import { readKnobs } from "./lib/knobs.ts";
import { measure, waitUntilServing, type LoadTarget, type Measurement } from "./lib/load.ts";
import { fixed, median, percentile, table } from "./lib/report.ts";
import type { ServerSetup } from "./lib/setup.ts";
import { GZIP_TARGET_KIB, TARGETS, type BenchTarget } from "./targets.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const START_TIMEOUT_MS = 120_000;
const knobs = readKnobs();

/**
 * The rows this run measures: all of them, or those `BENCH_TARGETS` names plus every row they are
 * compared with (so each printed ratio has both sides), in table order.
 */
function selectedRows(): readonly BenchTarget[] {
  if (knobs.targets === undefined) return TARGETS;
  const byName = new Map(TARGETS.map((row) => [row.name, row]));
  const unknown = knobs.targets.filter((name) => !byName.has(name));
  if (unknown.length > 0) {
    throw new Error(
      `BENCH_TARGETS names no target ${unknown.map((name) => `"${name}"`).join(", ")}; targets: ${TARGETS.map((row) => row.name).join(", ")}`,
    );
  }
  const wanted = new Set<string>();
  const add = (name: string): void => {
    const row = byName.get(name);
    if (row === undefined || wanted.has(name)) return;
    wanted.add(name);
    if (row.compare !== undefined) add(row.compare.with);
    if (row.factorOf !== undefined) add(row.factorOf.of);
  };
  for (const name of knobs.targets) add(name);
  return TARGETS.filter((row) => wanted.has(row.name));
}

/** Every `wrangler dev` this run started. */
const started: WranglerDev[] = [];
/** What the rows' setups started (an upstream IdP), stopped after the servers that use it. */
const setups: ServerSetup[] = [];
/**
 * Stops the servers (removing their state), whatever else is still running (a key CLI, a build),
 * then what the setups started. Each is stopped once, even when an interrupt and the end of
 * `main` both get here.
 */
async function cleanup(): Promise<void> {
  await Promise.all(started.splice(0).map((dev) => dev.stop()));
  await stopAllGroups();
  await Promise.all(setups.splice(0).map((setup) => setup.stop()));
}

let interrupted: NodeJS.Signals | undefined;
const stopped = () => interrupted !== undefined;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (interrupted !== undefined) return;
    interrupted = signal;
    console.error(`\n${signal}: stopping the servers this benchmark started...`);
    void cleanup().finally(() => process.exit(130));
  });
}
function stopIfInterrupted(): void {
  if (interrupted !== undefined) throw new Error(`interrupted by ${interrupted}`);
}

/** A target during the run: its row, where its requests go, and what it measured. */
interface Running {
  row: BenchTarget;
  load: LoadTarget;
  credential: Credential | undefined;
  rounds: Measurement[];
}

/** One number per distinct `setup` function, so rows share a server only when they share it. */
const setupIds = new Map<NonNullable<BenchTarget["setup"]>, number>();
function setupId(row: BenchTarget): number | null {
  if (row.setup === undefined) return null;
  if (!setupIds.has(row.setup)) setupIds.set(row.setup, setupIds.size);
  return setupIds.get(row.setup) ?? null;
}

/** Targets with the same Worker, config, vars, preparation and setup share one `wrangler dev`. */
function serverKey(row: BenchTarget): string {
  return JSON.stringify([row.dir, row.config ?? "", row.vars ?? {}, row.prepare ?? [], setupId(row)]);
}

/** A started server and the origin its targets' requests go to. */
interface Server {
  dev: WranglerDev;
  origin: string;
}

/** Runs each distinct server's setup, then starts one `wrangler dev` per distinct server, all at once. */
async function startServers(rows: readonly BenchTarget[]): Promise<Map<string, Server>> {
  const distinct = new Map<string, BenchTarget>();
  for (const row of rows) if (!distinct.has(serverKey(row))) distinct.set(serverKey(row), row);
  const servers = new Map<string, Server>();
  const results = await Promise.allSettled(
    [...distinct].map(async ([key, row]) => {
      const setup = await row.setup?.();
      if (setup !== undefined) setups.push(setup);
      stopIfInterrupted();
      const vars = { ...row.vars, ...setup?.vars };
      const dev = await startWranglerDev({
        cwd: join(ROOT, row.dir),
        ...(row.config === undefined ? {} : { config: row.config }),
        ...(Object.keys(vars).length === 0 ? {} : { vars }),
        ...(row.prepare === undefined ? {} : { prepare: row.prepare }),
        ...(setup?.port === undefined ? {} : { port: setup.port }),
        startTimeoutMs: START_TIMEOUT_MS,
      });
      started.push(dev);
      const origin = setup?.origin ?? dev.origin;
      servers.set(key, { dev, origin });
      console.log(`started ${join(row.dir, row.config ?? "wrangler.jsonc")} on ${origin}`);
    }),
  );
  const failure = results.find((result) => result.status === "rejected");
  if (failure !== undefined) throw failure.reason;
  return servers;
}

async function main(): Promise<number> {
  const startedAt = performance.now();
  const elapsed = () => `${fixed((performance.now() - startedAt) / 1000)} s`;
  console.log(
    `MCP echo benchmark: ${knobs.rounds} rounds x ${knobs.seconds} s per target, concurrency ${knobs.concurrency}, warm-up ${knobs.warmupSeconds} s`,
  );
  const rows = selectedRows();
  // Bundles build while the dev servers boot; nothing is measured yet.
  const bundlesPromise = (async () => {
    const bundles: Bundle[] = [];
    for (const dir of bundleDirs(ROOT, [join(ROOT, "bench", "baseline")])) bundles.push(await buildBundle(ROOT, dir));
    return bundles;
  })();
  bundlesPromise.catch(() => undefined);

  const servers = await startServers(rows);
  stopIfInterrupted();
  console.log(`all servers answer (${elapsed()})`);
  const targets: Running[] = [];
  for (const row of rows) {
    const server = servers.get(serverKey(row));
    if (server === undefined) throw new Error(`${row.name}: no server`);
    const credential = row.credential?.();
    await credential?.ready({
      dir: join(ROOT, row.dir),
      origin: server.origin,
      stateDir: server.dev.stateDir,
      knobs,
      targetCount: rows.length,
      stopped,
    });
    const load: LoadTarget = {
      name: row.name,
      url: `${server.origin}/mcp`,
      authorization: credential?.authorization,
      session: row.session,
    };
    // The running server sees what the credential wrote into its state (API keys).
    await waitUntilServing(load, START_TIMEOUT_MS, stopped);
    targets.push({ row, load, credential, rounds: [] });
  }
  stopIfInterrupted();
  console.log(`every target serves echo with its credential (${elapsed()})`);
  const bundles = await bundlesPromise;
  const nameWidth = Math.max(...targets.map((target) => target.row.name.length));

  const failures: string[] = [];
  const check = (target: Running, m: Measurement, phase: string) => {
    if (m.errors > 0) {
      failures.push(`${target.row.name} ${phase}: ${m.errors} failed requests, e.g.\n  ${m.problems.join("\n  ")}`);
    }
  };
  for (const target of targets) {
    stopIfInterrupted();
    const warm = await measure(target.load, knobs.warmupSeconds, knobs.concurrency, stopped);
    check(target, warm, "warm-up");
    console.log(`warm-up ${target.row.name.padEnd(nameWidth)} ${fixed(warm.rps).padStart(8)} req/s`);
    // Faster than the credential allows (an API-key pool): adjust before anything is measured.
    if (failures.length === 0) {
      const note = await target.credential?.afterWarmup?.(warm.rps);
      if (note !== undefined) console.log(`${target.row.name}: ${note}`);
    }
  }

  for (let round = 1; round <= knobs.rounds && failures.length === 0; round++) {
    const line: string[] = [];
    for (const target of targets) {
      const m = await measure(target.load, knobs.seconds, knobs.concurrency, stopped);
      target.rounds.push(m);
      check(target, m, `round ${round}`);
      line.push(`${target.row.name} ${fixed(m.rps).padStart(8)} req/s`);
      if (m.errors > 0) break;
    }
    stopIfInterrupted();
    console.log(`round ${String(round).padStart(2)}  ${line.join("   ")}`);
  }

  printThroughput(targets);
  printBundles(bundles);
  // full-oauth-provider signs people in itself: what one verification of each kind costs.
  if (failures.length === 0 && rows.some((row) => row.name === "full-oauth-provider")) {
    stopIfInterrupted();
    console.log("\nSign-in verification cost (workerd, bench/verify-cost; median of n=N minus n=0, over N)");
    for (const cost of await measureVerifyCost(ROOT, started)) {
      const what =
        cost.kind === "password"
          ? "one password (PBKDF2-SHA256 100,000 iterations over an HMAC pepper)"
          : "one passkey assertion (ES256, @simplewebauthn/server)";
      console.log(`${what.padEnd(68)} ${fixed(cost.ms, 2)} ms  (n=${String(cost.n)}, ${String(cost.samples)} samples)`);
    }
  }
  console.log(`\ntotal ${elapsed()}`);
  for (const failure of failures) console.error(`\nERROR: ${failure}`);
  return failures.length > 0 ? 1 : 0;
}

function printThroughput(targets: Running[]): void {
  const medianRps = (target: Running) =>
    target.rounds.length > 0 ? median(target.rounds.map((m) => m.rps)) : Number.NaN;
  const summary = [["target", "median req/s", "min-max req/s", "p50 ms", "p95 ms", "requests", "errors"]];
  for (const target of targets) {
    const rps = target.rounds.map((m) => m.rps);
    const latencies = target.rounds.flatMap((m) => m.latencies);
    summary.push([
      target.row.name,
      fixed(medianRps(target)),
      rps.length > 0 ? `${fixed(Math.min(...rps))}-${fixed(Math.max(...rps))}` : "-",
      fixed(percentile(latencies, 50), 2),
      fixed(percentile(latencies, 95), 2),
      String(target.rounds.reduce((sum, m) => sum + m.ok, 0)),
      String(target.rounds.reduce((sum, m) => sum + m.errors, 0)),
    ]);
  }
  console.log("\nThroughput (tools/call echo)");
  console.log(table(summary));

  const byName = new Map(targets.map((target) => [target.row.name, target]));
  const ratio = (name: string, base: string) => {
    const a = byName.get(name);
    const b = byName.get(base);
    return a === undefined || b === undefined ? Number.NaN : medianRps(a) / medianRps(b);
  };
  const judged = targets.filter((target) => target.row.compare !== undefined);
  const ratios: [string, number, string][] = [];
  for (const { row } of judged) {
    if (row.compare === undefined) continue;
    const value = ratio(row.name, row.compare.with);
    const verdict = Number.isFinite(value) && value >= row.compare.target ? "PASS" : "BELOW TARGET";
    ratios.push([`${row.name} / ${row.compare.with}`, value, `(target >= ${row.compare.target}) ${verdict}`]);
  }
  // Each app ratio = variant factor × the app's own overhead (e.g. the rate-limit binding's cost
  // under wrangler dev, then the rest).
  for (const { row: variant } of targets) {
    if (variant.factorOf === undefined) continue;
    const of = variant.factorOf.of;
    ratios.push([`${variant.name} / ${of}`, ratio(variant.name, of), variant.factorOf.note]);
    // Every judged target also against the other of the two, so both ratios come from one run.
    for (const { row } of judged) {
      if (row.compare?.with === of) {
        ratios.push([`${row.name} / ${variant.name}`, ratio(row.name, variant.name), "the app's own overhead"]);
      } else if (row.compare?.with === variant.name) {
        ratios.push([`${row.name} / ${of}`, ratio(row.name, of), `against ${of}, for reference`]);
      }
    }
  }
  const width = Math.max(...ratios.map(([what]) => what.length)) + 1;
  for (const [what, value, note] of ratios)
    console.log(`ratio ${`${what}:`.padEnd(width)} ${fixed(value, 3)}  ${note}`);
  for (const target of targets) {
    const line = target.credential?.report?.();
    if (line !== undefined) console.log(`${target.row.name}: ${line}`);
  }
}

function printBundles(bundles: Bundle[]): void {
  // A baseline variant is the baseline's code under another config: the same bundle, not listed twice.
  console.log("\nBundles (wrangler deploy --dry-run, .js/.mjs in outdir; baseline variants = baseline)");
  const rows = [["bundle", "files", "raw KiB", "gzip KiB", "target", "status"]];
  for (const bundle of bundles) {
    rows.push([
      bundle.name,
      String(bundle.files),
      fixed(bundle.rawKiB),
      fixed(bundle.gzipKiB),
      `<= ${GZIP_TARGET_KIB}`,
      bundle.gzipKiB <= GZIP_TARGET_KIB ? "PASS" : "OVER TARGET",
    ]);
  }
  console.log(table(rows));
}

let exitCode: number;
try {
  exitCode = await main();
} catch (error) {
  if (interrupted === undefined) console.error(`\nERROR: ${error instanceof Error ? error.message : String(error)}`);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(interrupted === undefined ? exitCode : 130);

// Benchmark: `tools/call echo` throughput of apps/no-auth against a bare `createMcpHandler` Worker
// (bench/baseline) and against that same Worker with no-auth's rate-limit binding added
// (bench/baseline/wrangler.ratelimited.jsonc), plus the gzip size of every app's bundle. Run from the repo root with
// `node bench/run.ts` (Node 24 strips the types). It is a report: exit 0 even below target,
// non-zero only when something broke (a server did not start, a build failed, a request failed).
//
// Only ever talks to 127.0.0.1, on ports it picks itself, so a running `pnpm dev` (8787, 8799) is
// left alone; it only stops the process groups it started.

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const BASELINE_DIR = join(ROOT, "bench", "baseline");
const NO_AUTH_DIR = join(ROOT, "apps", "no-auth");
/** The baseline with a `ratelimits` binding configured like no-auth's; src/index.ts calls it. */
const RATELIMITED_CONFIG = "wrangler.ratelimited.jsonc";

const ROUNDS = positiveInt("BENCH_ROUNDS", 6);
const SECONDS = positiveNumber("BENCH_SECONDS", 5);
const WARMUP_SECONDS = positiveNumber("BENCH_WARMUP_SECONDS", 3);
const CONCURRENCY = positiveInt("BENCH_CONCURRENCY", 16);
const RATIO_TARGET = 0.9;
const GZIP_TARGET_KIB = 400;
const START_TIMEOUT_MS = 120_000;
const RESERVED_PORTS = new Set([8787, 8799, 9229]);

function positiveNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

function positiveInt(name: string, fallback: number): number {
  const value = positiveNumber(name, fallback);
  if (!Number.isInteger(value)) throw new Error(`${name} must be a whole number, got "${value}"`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// Processes: every child runs in its own process group (detached) so the whole tree
// (wrangler -> node -> workerd) can be stopped at once, on success, error or Ctrl-C.

const children = new Set<ChildProcess>();
const tempDirs: string[] = [];
let cleaningUp: Promise<void> | undefined;
let interrupted: NodeJS.Signals | undefined;

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `mcp-bench-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

function cleanup(): Promise<void> {
  cleaningUp ??= (async () => {
    const exits = [...children].map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => {
        child.once("exit", () => {
          resolve();
        });
      });
      killGroup(child, "SIGTERM");
      const timer = setTimeout(() => {
        killGroup(child, "SIGKILL");
      }, 5_000);
      await exited;
      clearTimeout(timer);
    });
    await Promise.all(exits);
    // Whatever the group leader left behind (workerd) goes too.
    for (const child of children) killGroup(child, "SIGKILL");
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  })();
  return cleaningUp;
}

process.on("exit", () => {
  for (const child of children) killGroup(child, "SIGKILL");
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (interrupted !== undefined) return;
    interrupted = signal;
    console.error(`\n${signal}: stopping the servers this benchmark started...`);
    void cleanup().finally(() => process.exit(130));
  });
}

/** A child with its output kept (last lines) for error messages. */
interface Run {
  child: ChildProcess;
  exited: Promise<number | null>;
  output(): string;
}

function wranglerJs(dir: string): string {
  for (const candidate of [dir, BASELINE_DIR]) {
    const js = join(candidate, "node_modules", "wrangler", "bin", "wrangler.js");
    if (existsSync(js)) return js;
  }
  throw new Error(`wrangler is not installed for ${relative(ROOT, dir)}: run pnpm install`);
}

function runWrangler(dir: string, args: string[], registryDir: string): Run {
  const child = spawn(process.execPath, [wranglerJs(dir), ...args], {
    cwd: dir,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      // Own dev registry and logs: a `pnpm dev` running beside us keeps its registry entries.
      WRANGLER_REGISTRY_PATH: registryDir,
      WRANGLER_LOG_PATH: join(registryDir, "logs"),
      WRANGLER_SEND_METRICS: "false",
      WRANGLER_SEND_ERROR_REPORTS: "false",
      WRANGLER_HIDE_BANNER: "true",
      WRANGLER_NO_SKILLS_UPDATE_PROMPTS: "true",
      NO_COLOR: "1",
      FORCE_COLOR: "0",
    },
  });
  children.add(child);
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString().split("\n"));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => {
      resolve(code);
    });
    child.once("error", () => {
      resolve(-1);
    });
  });
  return { child, exited, output: () => lines.filter((line) => line.trim() !== "").join("\n") };
}

async function freePort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const address = server.address();
        const found = typeof address === "object" && address !== null ? address.port : 0;
        server.close(() => {
          resolve(found);
        });
      });
    });
    if (port !== 0 && !RESERVED_PORTS.has(port) && !taken.has(port)) {
      taken.add(port);
      return port;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Requests.

interface Target {
  name: string;
  url: string;
}

/**
 * The client address of request `n`. no-auth limits each `CF-Connecting-IP` to 600 requests per
 * 60 s, and under `wrangler dev` the header the client sends reaches the Worker as is. So every
 * request comes from its own virtual client 10.77.<a>.<b>, cycling through 65,024 addresses:
 * an address is reused only every 65,024 requests, far below 600 a minute at any rate this
 * machine can reach. The baselines get the same header so every target does the same work, and
 * baseline+rl, keyed on it like no-auth, never hits its limit either.
 */
function clientAddress(n: number): string {
  const index = n % (256 * 254);
  return `10.77.${Math.floor(index / 254)}.${(index % 254) + 1}`;
}

let requestCounter = 0;

interface Outcome {
  ok: boolean;
  ms: number;
  problem?: string;
}

async function callEcho(target: Target): Promise<Outcome> {
  const n = requestCounter++;
  const text = `bench-${n}`;
  const started = performance.now();
  try {
    const response = await fetch(target.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        // Stateless 2025-era path: no initialize or session needed per request.
        "mcp-protocol-version": "2025-06-18",
        "cf-connecting-ip": clientAddress(n),
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: n,
        method: "tools/call",
        params: { name: "echo", arguments: { text } },
      }),
    });
    const body = await response.text();
    const ms = performance.now() - started;
    if (response.status !== 200) return { ok: false, ms, problem: `HTTP ${response.status}: ${body.slice(0, 300)}` };
    if (!body.includes(`"text":"${text}"`) || body.includes(`"isError":true`)) {
      return { ok: false, ms, problem: `unexpected body: ${body.slice(0, 300)}` };
    }
    return { ok: true, ms };
  } catch (error) {
    return { ok: false, ms: performance.now() - started, problem: `fetch failed: ${String(error)}` };
  }
}

interface Measurement {
  ok: number;
  errors: number;
  seconds: number;
  rps: number;
  latencies: number[];
  problems: string[];
}

/** `CONCURRENCY` loops, each sending one request at a time until the deadline. */
async function measure(target: Target, seconds: number): Promise<Measurement> {
  const latencies: number[] = [];
  const problems: string[] = [];
  let ok = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const worker = async () => {
    while (interrupted === undefined && performance.now() < deadline) {
      const outcome = await callEcho(target);
      if (outcome.ok) {
        ok++;
        latencies.push(outcome.ms);
      } else {
        errors++;
        if (problems.length < 3 && outcome.problem) problems.push(outcome.problem);
        // Do not spin on a dead server.
        if (errors >= 50) return;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const elapsed = (performance.now() - started) / 1000;
  return { ok, errors, seconds: elapsed, rps: ok / elapsed, latencies, problems };
}

async function waitUntilServing(target: Target, run: Run): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let last = "no answer yet";
  let exitCode: number | null | undefined;
  void run.exited.then((code) => {
    exitCode = code;
  });
  while (Date.now() < deadline && interrupted === undefined) {
    if (exitCode !== undefined) {
      throw new Error(`${target.name}: wrangler dev exited (code ${exitCode}) before serving.\n${run.output()}`);
    }
    const outcome = await callEcho(target);
    if (outcome.ok) return;
    last = outcome.problem ?? last;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`${target.name}: not serving after ${START_TIMEOUT_MS / 1000} s (${last}).\n${run.output()}`);
}

// ---------------------------------------------------------------------------------------------
// Bundles.

interface Bundle {
  name: string;
  files: number;
  rawKiB: number;
  gzipKiB: number;
}

function bundleDirs(): string[] {
  const appsDir = join(ROOT, "apps");
  const apps = readdirSync(appsDir)
    .map((name) => join(appsDir, name))
    .filter((dir) => statSync(dir).isDirectory() && existsSync(join(dir, "wrangler.jsonc")))
    .sort();
  return [...apps, BASELINE_DIR];
}

function scriptFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((file) => /\.(m?js)$/.test(file))
    .map((file) => join(dir, file))
    .filter((file) => statSync(file).isFile());
}

async function buildBundle(dir: string, registryDir: string): Promise<Bundle> {
  const name = relative(ROOT, dir);
  const outdir = tempDir("bundle");
  const run = runWrangler(dir, ["deploy", "--dry-run", "--outdir", outdir], registryDir);
  const code = await run.exited;
  if (code !== 0) throw new Error(`${name}: wrangler deploy --dry-run failed (code ${code}).\n${run.output()}`);
  const files = scriptFiles(outdir);
  if (files.length === 0) throw new Error(`${name}: no .js/.mjs in the dry-run output ${outdir}`);
  let raw = 0;
  let gzip = 0;
  for (const file of files) {
    const bytes = readFileSync(file);
    raw += bytes.length;
    gzip += gzipSync(bytes).length;
  }
  return { name, files: files.length, rawKiB: raw / 1024, gzipKiB: gzip / 1024 };
}

// ---------------------------------------------------------------------------------------------
// Report.

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const at = (i: number) => sorted[i] ?? Number.NaN;
  return sorted.length % 2 === 1 ? at(mid) : (at(mid - 1) + at(mid)) / 2;
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, column) => (widths[column] = Math.max(widths[column] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0)))
        .join("  "),
    )
    .join("\n");
}

const fixed = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : "-");

// ---------------------------------------------------------------------------------------------

function stopIfInterrupted(): void {
  if (interrupted !== undefined) throw new Error(`interrupted by ${interrupted}`);
}

interface Server {
  target: Target;
  dir: string;
  rounds: Measurement[];
}

async function startServer(name: string, dir: string, config: string, ports: Set<number>, registryDir: string) {
  const port = await freePort(ports);
  const inspectorPort = await freePort(ports);
  const server: Server = { target: { name, url: `http://127.0.0.1:${port}/mcp` }, dir, rounds: [] };
  const run = runWrangler(
    dir,
    [
      "dev",
      ...["--config", config],
      ...["--ip", "127.0.0.1"],
      ...["--port", String(port)],
      ...["--inspector-port", String(inspectorPort)],
      ...["--persist-to", tempDir(`${name}-state`)],
      "--show-interactive-dev-session=false",
      // No per-request log line: it costs the same on both sides and only blurs the comparison.
      ...["--log-level", "warn"],
    ],
    registryDir,
  );
  console.log(`starting ${name} (${join(relative(ROOT, dir), config)}) on 127.0.0.1:${port}`);
  return { server, run };
}

async function main(): Promise<number> {
  const startedAt = performance.now();
  console.log(
    `MCP echo benchmark: ${ROUNDS} rounds x ${SECONDS} s per target, concurrency ${CONCURRENCY}, warm-up ${WARMUP_SECONDS} s`,
  );
  const registryDir = tempDir("registry");
  const ports = new Set<number>();
  const started = [
    await startServer("baseline", BASELINE_DIR, "wrangler.jsonc", ports, registryDir),
    await startServer("baseline+rl", BASELINE_DIR, RATELIMITED_CONFIG, ports, registryDir),
    await startServer("no-auth", NO_AUTH_DIR, "wrangler.jsonc", ports, registryDir),
  ];
  const [baseline, baselineRl, noAuth] = started.map(({ server }) => server) as [Server, Server, Server];
  const servers = [baseline, baselineRl, noAuth];
  const nameWidth = Math.max(...servers.map((server) => server.target.name.length));

  // Bundles build while the dev servers boot; nothing is measured yet.
  const bundlesPromise = (async () => {
    const bundles: Bundle[] = [];
    for (const dir of bundleDirs()) bundles.push(await buildBundle(dir, registryDir));
    return bundles;
  })();
  bundlesPromise.catch(() => undefined);
  await Promise.all(started.map(({ server, run }) => waitUntilServing(server.target, run)));
  stopIfInterrupted();
  console.log(`all servers answer (${fixed((performance.now() - startedAt) / 1000)} s)`);
  const bundles = await bundlesPromise;

  const failures: string[] = [];
  const check = (server: Server, m: Measurement, phase: string) => {
    if (m.errors > 0) {
      failures.push(`${server.target.name} ${phase}: ${m.errors} failed requests, e.g.\n  ${m.problems.join("\n  ")}`);
    }
  };

  for (const server of servers) {
    stopIfInterrupted();
    const warm = await measure(server.target, WARMUP_SECONDS);
    check(server, warm, "warm-up");
    console.log(`warm-up ${server.target.name.padEnd(nameWidth)} ${fixed(warm.rps).padStart(8)} req/s`);
  }

  for (let round = 1; round <= ROUNDS && failures.length === 0; round++) {
    const line: string[] = [];
    for (const server of servers) {
      const m = await measure(server.target, SECONDS);
      server.rounds.push(m);
      check(server, m, `round ${round}`);
      line.push(`${server.target.name} ${fixed(m.rps).padStart(8)} req/s`);
      if (m.errors > 0) break;
    }
    stopIfInterrupted();
    console.log(`round ${String(round).padStart(2)}  ${line.join("   ")}`);
  }

  const summary = [["target", "median req/s", "min-max req/s", "p50 ms", "p95 ms", "requests", "errors"]];
  const medianRps = (server: Server) =>
    server.rounds.length > 0 ? median(server.rounds.map((m) => m.rps)) : Number.NaN;
  for (const server of servers) {
    const rps = server.rounds.map((m) => m.rps);
    const latencies = server.rounds.flatMap((m) => m.latencies);
    summary.push([
      server.target.name,
      fixed(medianRps(server)),
      rps.length > 0 ? `${fixed(Math.min(...rps))}-${fixed(Math.max(...rps))}` : "-",
      fixed(percentile(latencies, 50), 2),
      fixed(percentile(latencies, 95), 2),
      String(server.rounds.reduce((sum, m) => sum + m.ok, 0)),
      String(server.rounds.reduce((sum, m) => sum + m.errors, 0)),
    ]);
  }
  const ratio = medianRps(noAuth) / medianRps(baseline);
  const verdict = Number.isFinite(ratio) && ratio >= RATIO_TARGET ? "PASS" : "BELOW TARGET";
  // ratio = binding x app: the rate-limit binding's cost under wrangler dev, then everything else.
  const bindingRatio = medianRps(baselineRl) / medianRps(baseline);
  const appRatio = medianRps(noAuth) / medianRps(baselineRl);

  console.log("\nThroughput (tools/call echo)");
  console.log(table(summary));
  const ratios: [string, number, string][] = [
    ["no-auth / baseline", ratio, `(target >= ${RATIO_TARGET}) ${verdict}`],
    ["baseline+rl / baseline", bindingRatio, "cost of the rate-limit binding under wrangler dev"],
    ["no-auth / baseline+rl", appRatio, "the app's own overhead"],
  ];
  for (const [what, value, note] of ratios) console.log(`ratio ${`${what}:`.padEnd(24)} ${fixed(value, 3)}  ${note}`);

  // baseline+rl is the baseline's code under another config: the same bundle, not listed twice.
  console.log("\nBundles (wrangler deploy --dry-run, .js/.mjs in outdir; baseline+rl = baseline)");
  const bundleRows = [["bundle", "files", "raw KiB", "gzip KiB", "target", "status"]];
  for (const bundle of bundles) {
    bundleRows.push([
      bundle.name,
      String(bundle.files),
      fixed(bundle.rawKiB),
      fixed(bundle.gzipKiB),
      `<= ${GZIP_TARGET_KIB}`,
      bundle.gzipKiB <= GZIP_TARGET_KIB ? "PASS" : "OVER TARGET",
    ]);
  }
  console.log(table(bundleRows));
  console.log(`\ntotal ${fixed((performance.now() - startedAt) / 1000)} s`);

  for (const failure of failures) console.error(`\nERROR: ${failure}`);
  return failures.length > 0 ? 1 : 0;
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

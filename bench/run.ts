// Benchmark: `tools/call echo` throughput of apps/no-auth and apps/token-validation (once with a
// JWT, once with an API key) against a bare `createMcpHandler` Worker (bench/baseline) and against
// that same Worker with no-auth's rate-limit binding added (bench/baseline/wrangler.ratelimited.jsonc),
// plus the gzip size of every app's bundle. Run from the repo root with
// `node bench/run.ts` (Node 24 strips the types). It is a report: exit 0 even below target,
// non-zero only when something broke (a server did not start, a build failed, a request failed).
//
// Only ever talks to 127.0.0.1, on ports it picks itself, so a running `pnpm dev` (8787, 8799) is
// left alone; it only stops the process groups it started.

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const BASELINE_DIR = join(ROOT, "bench", "baseline");
const NO_AUTH_DIR = join(ROOT, "apps", "no-auth");
const TOKEN_VALIDATION_DIR = join(ROOT, "apps", "token-validation");
/** The baseline with a `ratelimits` binding configured like no-auth's; src/index.ts calls it. */
const RATELIMITED_CONFIG = "wrangler.ratelimited.jsonc";

const ROUNDS = positiveInt("BENCH_ROUNDS", 6);
const SECONDS = positiveNumber("BENCH_SECONDS", 4);
const WARMUP_SECONDS = positiveNumber("BENCH_WARMUP_SECONDS", 3);
const CONCURRENCY = positiveInt("BENCH_CONCURRENCY", 16);
const API_KEYS = positiveInt("BENCH_API_KEYS", 8);
const RATIO_TARGET = 0.9;
const TV_JWT_TARGET = 0.85;
const TV_API_KEY_TARGET = 0.7;
/** token-validation's per-key limit (KEY_RATE_LIMITER in its wrangler.jsonc): 600 per 60 s. */
const KEY_LIMIT_PER_MINUTE = 600;
/** What the key pool is sized for: half the limit, per key per minute. */
const KEY_BUDGET_PER_MINUTE = KEY_LIMIT_PER_MINUTE / 2;
const GZIP_TARGET_KIB = 400;
const START_TIMEOUT_MS = 120_000;
const RESERVED_PORTS = new Set([8787, 8799, 9229]);
/**
 * token-validation's JWT settings for the run (`--var`). The secret exists only for this run: it is
 * passed on the command line and signs one token that expires in an hour.
 */
const JWT_VARS = {
  JWT_SECRET: "bench-only-hs256-secret-never-deployed-0123456789abcdef",
  JWT_ISSUER: "http://127.0.0.1:8791",
  JWT_AUDIENCE: "http://localhost:8788/mcp",
};

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

/** A child with its output kept (last lines) for error messages, and its whole stdout. */
interface Run {
  child: ChildProcess;
  exited: Promise<number | null>;
  output(): string;
  stdout(): string;
}

function wranglerJs(dir: string): string {
  for (const candidate of [dir, BASELINE_DIR]) {
    const js = join(candidate, "node_modules", "wrangler", "bin", "wrangler.js");
    if (existsSync(js)) return js;
  }
  throw new Error(`wrangler is not installed for ${relative(ROOT, dir)}: run pnpm install`);
}

function runWrangler(dir: string, args: string[], registryDir: string): Run {
  return runNode(dir, [wranglerJs(dir), ...args], registryDir);
}

/** `node <args>` in `cwd`, in its own process group, with wrangler kept off shared state. */
function runNode(cwd: string, args: string[], registryDir: string): Run {
  const child = spawn(process.execPath, args, {
    cwd,
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
  let stdout = "";
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString().split("\n"));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout.on("data", (chunk: Buffer) => {
    if (stdout.length < 1_000_000) stdout += chunk.toString();
    keep(chunk);
  });
  child.stderr.on("data", keep);
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => {
      resolve(code);
    });
    child.once("error", () => {
      resolve(-1);
    });
  });
  return {
    child,
    exited,
    output: () => lines.filter((line) => line.trim() !== "").join("\n"),
    stdout: () => stdout,
  };
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
  /** The `Authorization` header of the target's next request, if it takes one. */
  authorization?: () => string;
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
        ...(target.authorization ? { authorization: target.authorization() } : {}),
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
// token-validation's credentials: one JWT for tv-jwt, a pool of API keys for tv-api-key.

/** The part of jose's `SignJWT` used here. jose is the app's dependency, not bench's: it is loaded from there. */
interface SignJwtBuilder {
  setProtectedHeader(header: { alg: string; typ?: string }): SignJwtBuilder;
  setIssuer(issuer: string): SignJwtBuilder;
  setAudience(audience: string): SignJwtBuilder;
  setSubject(subject: string): SignJwtBuilder;
  setIssuedAt(): SignJwtBuilder;
  setExpirationTime(time: string): SignJwtBuilder;
  sign(key: Uint8Array): Promise<string>;
}

/** An HS256 access token for the run's JWT_SECRET, issuer and audience, valid for an hour. */
async function mintJwt(): Promise<string> {
  const jose = pathToFileURL(createRequire(join(TOKEN_VALIDATION_DIR, "package.json")).resolve("jose")).href;
  const { SignJWT } = (await import(jose)) as { SignJWT: new (claims: Record<string, unknown>) => SignJwtBuilder };
  return new SignJWT({ scope: "notes:read notes:write", client_id: "bench" })
    .setProtectedHeader({ alg: "HS256", typ: "at+jwt" })
    .setIssuer(JWT_VARS.JWT_ISSUER)
    .setAudience(JWT_VARS.JWT_AUDIENCE)
    .setSubject("bench")
    .setIssuedAt()
    .setExpirationTime("1h")
    .sign(new TextEncoder().encode(JWT_VARS.JWT_SECRET));
}

/** Creates KEYS_DB's tables in `stateDir`, the local state the dev server is then started on. */
async function applyMigrations(stateDir: string, registryDir: string): Promise<void> {
  const args = ["d1", "migrations", "apply", "KEYS_DB", "--local", "--persist-to", stateDir];
  const run = runWrangler(TOKEN_VALIDATION_DIR, args, registryDir);
  const code = await run.exited;
  if (code !== 0) throw new Error(`token-validation: d1 migrations apply failed (code ${code}).\n${run.output()}`);
}

/** One API key, made by the app's own CLI (`pnpm keys create`) in `stateDir`. */
async function createApiKey(stateDir: string, registryDir: string): Promise<string> {
  const cli = join(relative(ROOT, TOKEN_VALIDATION_DIR), "scripts", "keys.ts");
  const run = runNode(ROOT, [cli, "create", "--owner", "bench", "--json", "--persist-to", stateDir], registryDir);
  const code = await run.exited;
  if (code !== 0) throw new Error(`${cli} create failed (code ${code}).\n${run.output()}`);
  let created: unknown;
  try {
    created = JSON.parse(run.stdout());
  } catch {
    created = undefined;
  }
  if (typeof created === "object" && created !== null && "key" in created && typeof created.key === "string") {
    return created.key;
  }
  throw new Error(`${cli} create printed no key:\n${run.output()}`);
}

/**
 * The keys in rotation, one per request in turn. token-validation limits each key to 600
 * requests per 60 s (KEY_RATE_LIMITER; wrangler dev counts in windows aligned to the wall-clock
 * minute), so the load is spread over the pool. It also counts each key's requests per window:
 * the busiest count is reported, to show the pool stayed clear of the limit.
 */
function keyRotation(keys: string[]): { authorization: () => string; busiest: () => number } {
  const perWindow = new Map<string, number>();
  let next = 0;
  return {
    authorization: () => {
      const index = next++ % keys.length;
      const window = `${index}@${Math.floor(Date.now() / 60_000)}`;
      perWindow.set(window, (perWindow.get(window) ?? 0) + 1);
      return `Bearer ${keys[index] ?? ""}`;
    },
    busiest: () => Math.max(0, ...perWindow.values()),
  };
}

/**
 * Keys needed to keep each under KEY_BUDGET_PER_MINUTE at `rps`. In any 60 s window tv-api-key
 * runs for at most its warm-up plus one slot per round that fits in the window, plus one.
 */
function keysNeeded(rps: number, targets: number): number {
  const activeSeconds = Math.min(60, WARMUP_SECONDS + SECONDS * (Math.floor(60 / (targets * SECONDS)) + 1));
  return Math.ceil((rps * activeSeconds) / KEY_BUDGET_PER_MINUTE);
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

interface ServerOptions {
  /** Local state directory; a fresh one when omitted. */
  persistTo?: string;
  /** `--var NAME:VALUE` overrides of the config's vars. */
  vars?: Record<string, string>;
  authorization?: () => string;
}

async function startServer(
  name: string,
  dir: string,
  config: string,
  ports: Set<number>,
  registryDir: string,
  options: ServerOptions = {},
) {
  const port = await freePort(ports);
  const inspectorPort = await freePort(ports);
  const target: Target = { name, url: `http://127.0.0.1:${port}/mcp` };
  if (options.authorization) target.authorization = options.authorization;
  const server: Server = { target, dir, rounds: [] };
  const vars = Object.entries(options.vars ?? {}).flatMap(([key, value]) => ["--var", `${key}:${value}`]);
  const run = runWrangler(
    dir,
    [
      "dev",
      ...["--config", config],
      ...["--ip", "127.0.0.1"],
      ...["--port", String(port)],
      ...["--inspector-port", String(inspectorPort)],
      ...["--persist-to", options.persistTo ?? tempDir(`${name}-state`)],
      ...vars,
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
  // token-validation: one dev server for tv-jwt and tv-api-key, on a state directory whose
  // KEYS_DB tables exist before it starts.
  const tvState = tempDir("token-validation-state");
  await applyMigrations(tvState, registryDir);
  const jwt = `Bearer ${await mintJwt()}`;
  const tv = await startServer("tv-jwt", TOKEN_VALIDATION_DIR, "wrangler.jsonc", ports, registryDir, {
    persistTo: tvState,
    vars: { AUTH_METHODS: "api_key,jwt", ...JWT_VARS },
    authorization: () => jwt,
  });
  started.push(tv);
  const [baseline, baselineRl, noAuth, tvJwt] = started.map(({ server }) => server) as [Server, Server, Server, Server];

  // Bundles build and API keys are made while the dev servers boot; nothing is measured yet.
  // Keys one at a time: concurrent writers to the local D1 file fail with SQLITE_BUSY.
  const bundlesPromise = (async () => {
    const bundles: Bundle[] = [];
    for (const dir of bundleDirs()) bundles.push(await buildBundle(dir, registryDir));
    return bundles;
  })();
  bundlesPromise.catch(() => undefined);
  const keysPromise = (async () => {
    const keys: string[] = [];
    while (keys.length < API_KEYS && interrupted === undefined) keys.push(await createApiKey(tvState, registryDir));
    return keys;
  })();
  keysPromise.catch(() => undefined);
  await Promise.all(started.map(({ server, run }) => waitUntilServing(server.target, run)));
  stopIfInterrupted();
  console.log(`all servers answer (${fixed((performance.now() - startedAt) / 1000)} s)`);
  const keys = await keysPromise;
  stopIfInterrupted();
  const rotation = keyRotation(keys);
  const tvApiKey: Server = {
    target: { name: "tv-api-key", url: tvJwt.target.url, authorization: rotation.authorization },
    dir: TOKEN_VALIDATION_DIR,
    rounds: [],
  };
  // The running server sees the keys the CLI wrote into its state.
  await waitUntilServing(tvApiKey.target, tv.run);
  console.log(`${keys.length} API keys made with the app's CLI (${fixed((performance.now() - startedAt) / 1000)} s)`);
  const bundles = await bundlesPromise;
  const servers = [baseline, baselineRl, noAuth, tvJwt, tvApiKey];
  const nameWidth = Math.max(...servers.map((server) => server.target.name.length));

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
    // Faster than the pool allows: more keys, before anything is measured.
    const needed = server === tvApiKey ? keysNeeded(warm.rps, servers.length) : 0;
    if (needed > keys.length && failures.length === 0) {
      console.log(`making ${needed - keys.length} more API keys so each stays under ${KEY_BUDGET_PER_MINUTE}/min`);
      while (keys.length < needed) {
        stopIfInterrupted();
        keys.push(await createApiKey(tvState, registryDir));
      }
    }
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
  const ratioOf = (server: Server, base: Server) => medianRps(server) / medianRps(base);
  const targeted = (value: number, target: number) =>
    `(target >= ${target}) ${Number.isFinite(value) && value >= target ? "PASS" : "BELOW TARGET"}`;
  const own = "the app's own overhead";

  console.log("\nThroughput (tools/call echo)");
  console.log(table(summary));
  // Each app ratio = binding x app: the rate-limit binding's cost under wrangler dev, then the rest.
  const ratios: [string, number, string][] = [
    ["no-auth / baseline", ratioOf(noAuth, baseline), targeted(ratioOf(noAuth, baseline), RATIO_TARGET)],
    ["tv-jwt / baseline", ratioOf(tvJwt, baseline), targeted(ratioOf(tvJwt, baseline), TV_JWT_TARGET)],
    ["tv-api-key / baseline", ratioOf(tvApiKey, baseline), targeted(ratioOf(tvApiKey, baseline), TV_API_KEY_TARGET)],
    ["baseline+rl / baseline", ratioOf(baselineRl, baseline), "cost of the rate-limit binding under wrangler dev"],
    ["no-auth / baseline+rl", ratioOf(noAuth, baselineRl), own],
    ["tv-jwt / baseline+rl", ratioOf(tvJwt, baselineRl), own],
    ["tv-api-key / baseline+rl", ratioOf(tvApiKey, baselineRl), own],
  ];
  const ratioWidth = Math.max(...ratios.map(([what]) => what.length)) + 1;
  for (const [what, value, note] of ratios) {
    console.log(`ratio ${`${what}:`.padEnd(ratioWidth)} ${fixed(value, 3)}  ${note}`);
  }
  const busiest = rotation.busiest();
  console.log(
    `tv-api-key: ${keys.length} keys in rotation, busiest key ${busiest} requests in one minute window (limit ${KEY_LIMIT_PER_MINUTE})`,
  );

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

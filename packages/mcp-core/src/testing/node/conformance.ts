// The MCP conformance suite (@modelcontextprotocol/conformance) against a running app: its CLI
// run once per scenario, its checks.json parsed, and the scenarios that apply to our tool set
// (whoami, echo, notes_*: tools only, stateless, no resources, prompts, logging or sampling).
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { conformanceCli, runToCompletion, serveOnLoopback, type ConformanceSuite } from "@mcp-auth/dev-harness";
import { describe, expect, it } from "vitest";

export type { ConformanceSuite };

/** One scenario of one suite. */
export interface ConformanceScenario {
  suite: ConformanceSuite;
  name: string;
}

/** A scenario (or one check of it) that does not apply to our server, and why. */
export interface NotApplicable extends ConformanceScenario {
  reason: string;
}

/** A check excused inside an applicable scenario: `check` is the conformance check id. */
export interface NotApplicableCheck extends NotApplicable {
  check: string;
}

/**
 * The scenarios that apply to a tools-only stateless server: "9/9" means these nine pass.
 * 2025 (0.1.16, its default 2025-11-25 revision) and 2026-07-28 (0.2.0-alpha.12 with
 * `--spec-version 2026-07-28`).
 */
export const APPLICABLE_SCENARIOS: readonly ConformanceScenario[] = [
  { suite: "2025", name: "server-initialize" },
  { suite: "2025", name: "ping" },
  { suite: "2025", name: "tools-list" },
  { suite: "2025", name: "dns-rebinding-protection" },
  { suite: "2026-07-28", name: "server-stateless" },
  { suite: "2026-07-28", name: "tools-list" },
  { suite: "2026-07-28", name: "dns-rebinding-protection" },
  { suite: "2026-07-28", name: "caching" },
  { suite: "2026-07-28", name: "http-header-validation" },
];

const FIXTURE_TOOLS = "needs a fixture tool of the conformance 'everything' server, which our tool set does not have";
const STATELESS = "our servers are stateless (no MCP-Session-Id)";

/** The scenarios that do not apply, each with the reason; every other server scenario is listed here. */
export const NOT_APPLICABLE_SCENARIOS: readonly NotApplicable[] = [
  { suite: "2025", name: "server-session-lifecycle", reason: `${STATELESS}: the CLI reports it skipped` },
  { suite: "2025", name: "logging-set-level", reason: "no logging capability: logging/setLevel is -32601" },
  { suite: "2025", name: "completion-complete", reason: "no completions capability (no prompts or resources)" },
  ...[
    "tools-call-simple-text",
    "tools-call-image",
    "tools-call-audio",
    "tools-call-embedded-resource",
    "tools-call-mixed-content",
    "tools-call-with-logging",
    "tools-call-error",
    "tools-call-with-progress",
    "tools-call-sampling",
    "tools-call-elicitation",
    "elicitation-sep1034-defaults",
    "elicitation-sep1330-enums",
    "json-schema-2020-12",
  ].flatMap((name): NotApplicable[] =>
    (["2025", "2026-07-28"] as const).map((suite) => ({ suite, name, reason: FIXTURE_TOOLS })),
  ),
  ...[
    "resources-list",
    "resources-read-text",
    "resources-read-binary",
    "resources-templates-read",
    "resources-subscribe",
    "resources-unsubscribe",
    "sep-2164-resource-not-found",
    "prompts-list",
    "prompts-get-simple",
    "prompts-get-with-args",
    "prompts-get-embedded-resource",
    "prompts-get-with-image",
  ].map((name): NotApplicable => ({ suite: "2026-07-28", name, reason: "no resources or prompts capability" })),
  {
    suite: "2025",
    name: "server-sse-polling",
    reason: `${STATELESS} and answer JSON, never a resumable SSE stream (pending, not scored)`,
  },
  {
    suite: "2025",
    name: "server-sse-multiple-streams",
    reason: `${STATELESS}: the CLI only warns that no session id was given`,
  },
  {
    suite: "2026-07-28",
    name: "server-sse-multiple-streams",
    reason: "every answer is JSON: the CLI reports SSE streaming as optional (INFO only)",
  },
  {
    suite: "2026-07-28",
    name: "input-required-result-*",
    reason: `${FIXTURE_TOOLS} (test_input_required_result_*); our tools never ask the client for input`,
  },
  { suite: "2026-07-28", name: "tasks-*", reason: "the Tasks extension: our tools are never task-augmented" },
  { suite: "2026-07-28", name: "http-custom-header-server-validation", reason: FIXTURE_TOOLS },
  { suite: "2026-07-28", name: "sep-2640-skills-*", reason: "the Skills extension: no skills directory" },
];

/** Checks inside an applicable scenario that test something our server does not have. */
export const NOT_APPLICABLE_CHECKS: readonly NotApplicableCheck[] = [
  ...[
    ["sep-2575-server-rejects-undeclared-capability", "test_missing_capability"],
    ["sep-2575-missing-capability-http-400", "test_missing_capability"],
    ["sep-2575-http-server-no-independent-requests-on-stream", "test_streaming_elicitation"],
    ["sep-2575-server-no-log-without-loglevel", "test_logging_tool"],
  ].map(([check = "", tool = ""]): NotApplicableCheck => ({
    suite: "2026-07-28",
    name: "server-stateless",
    check,
    reason: `the CLI reports it "Not testable" without the fixture tool ${tool}; none of our tools needs a client capability, elicits or logs`,
  })),
  ...["prompts-list", "resources-list", "resources-templates-list"].map((list): NotApplicableCheck => ({
    suite: "2026-07-28",
    name: "caching",
    check: `sep-2549-${list}-caching-hints`,
    reason: `no ${list.split("-")[0] ?? ""} capability is advertised, so ${list.replace("-", "/").replace("-", "/")} is -32601 as the spec asks`,
  })),
];

/** One check as the CLI wrote it to checks.json. */
export interface ConformanceCheck {
  id: string;
  name: string;
  /** SUCCESS, FAILURE, WARNING (a SHOULD), SKIPPED or INFO. */
  status: string;
  errorMessage?: string;
}

/** The outcome of one scenario. */
export interface ScenarioResult extends ConformanceScenario {
  /** No check failed, apart from the not-applicable ones. */
  passed: boolean;
  checks: ConformanceCheck[];
  /** The failed checks that count, `id: message`. */
  failures: string[];
  /** The failed checks excused as not applicable, `id: reason`. */
  excused: string[];
}

/**
 * Runs one scenario against `url` (the server's `/mcp`) and grades its checks. The CLI needs
 * Node ≥ 22: it runs on the Node that runs this (the workspace's Node 24 under pnpm).
 */
export async function runConformanceScenario(url: string, scenario: ConformanceScenario): Promise<ScenarioResult> {
  const outputDir = mkdtempSync(join(tmpdir(), "mcp-conformance-"));
  try {
    const args = [conformanceCli(scenario.suite), "server", "--url", url, "--scenario", scenario.name, "-o", outputDir];
    if (scenario.suite === "2026-07-28") args.push("--spec-version", "2026-07-28");
    const run = await runToCompletion(process.execPath, args, { cwd: outputDir });
    const [dir] = readdirSync(outputDir).filter((entry) => entry.startsWith(`server-${scenario.name}-`));
    if (dir === undefined) {
      throw new Error(
        `conformance ${scenario.suite} ${scenario.name} wrote no results (exit ${String(run.code)}):\n${run.tail}`,
      );
    }
    const checks = JSON.parse(readFileSync(join(outputDir, dir, "checks.json"), "utf8")) as ConformanceCheck[];
    return grade(scenario, checks);
  } finally {
    rmSync(outputDir, { recursive: true, force: true });
  }
}

/** Pass/fail of a scenario's checks, excusing the not-applicable ones. */
export function grade(scenario: ConformanceScenario, checks: ConformanceCheck[]): ScenarioResult {
  const failures: string[] = [];
  const excused: string[] = [];
  for (const check of checks.filter((candidate) => candidate.status === "FAILURE")) {
    const excuse = NOT_APPLICABLE_CHECKS.find(
      (entry) => entry.suite === scenario.suite && entry.name === scenario.name && entry.check === check.id,
    );
    if (excuse === undefined) failures.push(`${check.id}: ${check.errorMessage ?? "(no message)"}`);
    else excused.push(`${check.id}: ${excuse.reason}`);
  }
  // A scenario that ran no check at all proves nothing.
  const passed = failures.length === 0 && checks.some((check) => check.status === "SUCCESS");
  return { ...scenario, passed, checks, failures, excused };
}

/** Request headers a forwarding proxy rewrites (the rest pass through as they came). */
function forwardedHeaders(
  headers: IncomingHttpHeaders,
  proxyHost: string,
  target: URL,
  added: Record<string, string>,
): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = { ...headers, ...added };
  // Our own host and origin become the app's (its tokens are for its origin); any other Host
  // or Origin (dns-rebinding-protection's evil.example.com) reaches the app unchanged.
  if (headers.host === proxyHost) out.host = target.host;
  if (headers.origin === `http://${proxyHost}`) out.origin = target.origin;
  return out;
}

/**
 * A loopback proxy in front of `origin` that adds `headers` (e.g. `authorization`, and a
 * `cf-connecting-ip` of its own for the per-address limits) to every request, for the
 * conformance CLI, which has no way to send a credential (no flag, header option or env var).
 * Responses stream through unchanged (SSE included). Its origin is `http://localhost:<port>`:
 * dns-rebinding-protection only runs against a localhost URL.
 */
export async function forwardWithCredential(
  origin: string,
  headers: Record<string, string>,
): Promise<{ origin: string; stop: () => Promise<void> }> {
  const target = new URL(origin);
  let proxyHost = "";
  const server = await serveOnLoopback((req, res) => {
    const upstream = httpRequest(
      {
        hostname: target.hostname === "localhost" ? "127.0.0.1" : target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: forwardedHeaders(req.headers, proxyHost, target, headers),
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  proxyHost = `localhost:${server.port}`;
  return { origin: `http://${proxyHost}`, stop: server.stop };
}

/**
 * Registers one test per applicable scenario against the server `connect` resolves to (its
 * origin, `http://localhost:<port>`), asserting that no check fails but the not-applicable ones.
 */
export function describeConformance(label: string, connect: () => Promise<{ origin: string }>): void {
  describe(`MCP conformance (${label})`, () => {
    it.each(APPLICABLE_SCENARIOS.map((scenario) => [`${scenario.suite} ${scenario.name}`, scenario] as const))(
      "%s passes",
      async (_title, scenario) => {
        const url = new URL("/mcp", (await connect()).origin);
        // dns-rebinding-protection runs only against a localhost URL; wrangler dev says 127.0.0.1.
        if (url.hostname === "127.0.0.1") url.hostname = "localhost";
        const result = await runConformanceScenario(url.href, scenario);
        expect(result.failures).toEqual([]);
        expect(result.passed).toBe(true);
      },
    );
  });
}

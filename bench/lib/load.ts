// Load generation: raw JSON-RPC `tools/call echo` POSTs from many virtual client addresses.

/** Where one target's requests go and how each gets its credential. */
export interface LoadTarget {
  name: string;
  url: string;
  /** The `Authorization` header of the target's next request, if it takes one. */
  authorization?: (() => string) | undefined;
  /**
   * The target serves MCP sessions only (McpAgent): each virtual connection first sends
   * `initialize` and `notifications/initialized`, then its `Mcp-Session-Id` with every call.
   */
  session?: boolean | undefined;
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

export interface Outcome {
  ok: boolean;
  ms: number;
  problem?: string;
}

const PROTOCOL_VERSION = "2025-06-18";

/** Headers every request carries: the client address of request `n`, the credential, the session. */
function headers(target: LoadTarget, n: number, session: string | undefined): Record<string, string> {
  return {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "mcp-protocol-version": PROTOCOL_VERSION,
    "cf-connecting-ip": clientAddress(n),
    ...(target.authorization ? { authorization: target.authorization() } : {}),
    ...(session === undefined ? {} : { "mcp-session-id": session }),
  };
}

/**
 * `initialize` then `notifications/initialized`, as a client opens a session; the session id the
 * server gave, or the problem. Only for `session` targets (stateless ones need neither).
 */
export async function openSession(target: LoadTarget): Promise<{ session: string } | { problem: string }> {
  const n = requestCounter++;
  try {
    const init = await fetch(target.url, {
      method: "POST",
      headers: headers(target, n, undefined),
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: n,
        method: "initialize",
        params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: "bench", version: "1" } },
      }),
    });
    const body = await init.text();
    const session = init.headers.get("mcp-session-id");
    if (init.status !== 200 || session === null) {
      return { problem: `initialize: HTTP ${init.status}, no session id: ${body.slice(0, 300)}` };
    }
    const initialized = await fetch(target.url, {
      method: "POST",
      headers: headers(target, n, session),
      body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
    });
    await initialized.body?.cancel();
    if (initialized.status !== 202) return { problem: `notifications/initialized: HTTP ${initialized.status}` };
    return { session };
  } catch (error) {
    return { problem: `initialize failed: ${String(error)}` };
  }
}

/** One `tools/call echo` (in `session`, when given); ok only for a 200 that echoes the text back. */
export async function callEcho(target: LoadTarget, session?: string): Promise<Outcome> {
  const n = requestCounter++;
  const text = `bench-${n}`;
  const started = performance.now();
  try {
    const response = await fetch(target.url, {
      method: "POST",
      // Stateless 2025-era path: no initialize or session needed per request (but see `session`).
      headers: headers(target, n, session),
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

/** What one measuring period of one target gave. */
export interface Measurement {
  ok: number;
  errors: number;
  seconds: number;
  rps: number;
  latencies: number[];
  problems: string[];
}

/**
 * `concurrency` loops, each sending one request at a time until the deadline (or `stop()`). For a
 * `session` target each loop opens its own session first, before the clock starts.
 */
export async function measure(
  target: LoadTarget,
  seconds: number,
  concurrency: number,
  stop: () => boolean,
): Promise<Measurement> {
  const latencies: number[] = [];
  const problems: string[] = [];
  let ok = 0;
  let errors = 0;
  const sessions = await Promise.all(
    Array.from({ length: concurrency }, async () => (target.session ? await openSession(target) : undefined)),
  );
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const worker = async (opened: (typeof sessions)[number]) => {
    if (opened !== undefined && "problem" in opened) {
      errors++;
      if (problems.length < 3) problems.push(opened.problem);
      return;
    }
    while (!stop() && performance.now() < deadline) {
      const outcome = await callEcho(target, opened?.session);
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
  await Promise.all(sessions.map(worker));
  const elapsed = (performance.now() - started) / 1000;
  return { ok, errors, seconds: elapsed, rps: ok / elapsed, latencies, problems };
}

/** Resolves once the target serves echo (with its credential); throws with the last problem. */
export async function waitUntilServing(target: LoadTarget, timeoutMs: number, stop: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  while (Date.now() < deadline && !stop()) {
    const opened = target.session ? await openSession(target) : undefined;
    const outcome =
      opened !== undefined && "problem" in opened
        ? { ok: false, ms: 0, problem: opened.problem }
        : await callEcho(target, opened?.session);
    if (outcome.ok) return;
    last = outcome.problem ?? last;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`${target.name}: answers HTTP but does not serve echo after ${timeoutMs / 1000} s (${last})`);
}

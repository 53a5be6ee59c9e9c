// Load generation: raw JSON-RPC `tools/call echo` POSTs from many virtual client addresses.

/** Where one target's requests go and how each gets its credential. */
export interface LoadTarget {
  name: string;
  url: string;
  /** The `Authorization` header of the target's next request, if it takes one. */
  authorization?: (() => string) | undefined;
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

/** One `tools/call echo`; ok only for a 200 that echoes the text back. */
export async function callEcho(target: LoadTarget): Promise<Outcome> {
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

/** What one measuring period of one target gave. */
export interface Measurement {
  ok: number;
  errors: number;
  seconds: number;
  rps: number;
  latencies: number[];
  problems: string[];
}

/** `concurrency` loops, each sending one request at a time until the deadline (or `stop()`). */
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
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const worker = async () => {
    while (!stop() && performance.now() < deadline) {
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
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  return { ok, errors, seconds: elapsed, rps: ok / elapsed, latencies, problems };
}

/** Resolves once the target serves echo (with its credential); throws with the last problem. */
export async function waitUntilServing(target: LoadTarget, timeoutMs: number, stop: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  while (Date.now() < deadline && !stop()) {
    const outcome = await callEcho(target);
    if (outcome.ok) return;
    last = outcome.problem ?? last;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`${target.name}: answers HTTP but does not serve echo after ${timeoutMs / 1000} s (${last})`);
}

// What one sign-in verification costs in workerd: bench/verify-cost verifies a fixed, valid
// password or passkey assertion N times per request (full-oauth-provider's own code paths), and
// this side times requests of n=N against n=0, alternating, and reports the median difference / N.
import { startWranglerDev, type WranglerDev } from "@mcp-auth/dev-harness";
import { join } from "node:path";
import { median } from "./report.ts";

export interface VerifyCost {
  kind: "password" | "passkey";
  /** Milliseconds per verification. */
  ms: number;
  /** Verifications per request in the timed runs. */
  n: number;
  samples: number;
}

async function timed(origin: string, path: string, n: number): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${origin}${path}?n=${String(n)}`);
  const body = (await response.json()) as { n: number; verified: number };
  const ms = performance.now() - started;
  if (response.status !== 200 || body.verified !== n) {
    throw new Error(
      `${path}?n=${String(n)}: HTTP ${String(response.status)}, verified ${String(body.verified)} of ${String(n)}`,
    );
  }
  return ms;
}

/** Starts the probe Worker (pushed to `started` so the run's cleanup stops it) and measures both kinds. */
export async function measureVerifyCost(root: string, started: WranglerDev[], samples = 9): Promise<VerifyCost[]> {
  const dev = await startWranglerDev({ cwd: join(root, "bench", "verify-cost") });
  started.push(dev);
  const results: VerifyCost[] = [];
  for (const [kind, n] of [
    ["password", 10],
    ["passkey", 50],
  ] as const) {
    const path = `/${kind}`;
    await timed(dev.origin, path, 1); // fixtures and JIT warm-up, not measured
    const base: number[] = [];
    const full: number[] = [];
    for (let i = 0; i < samples; i++) {
      base.push(await timed(dev.origin, path, 0));
      full.push(await timed(dev.origin, path, n));
    }
    results.push({ kind, n, samples, ms: (median(full) - median(base)) / n });
  }
  return results;
}

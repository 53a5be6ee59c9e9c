// The benchmark's environment knobs (BENCH_*), read once and validated.

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

/** How long and how hard the benchmark runs; see bench/README.md. */
export interface Knobs {
  /** Rounds; each measures every target once. */
  rounds: number;
  /** Seconds per target per round. */
  seconds: number;
  /** Warm-up seconds per target before the rounds. */
  warmupSeconds: number;
  /** Requests in flight. */
  concurrency: number;
  /** API keys made before the warm-up. */
  apiKeys: number;
  /** Target names to run (with the targets they are compared with); undefined: all. */
  targets: string[] | undefined;
}

function nameList(name: string): string[] | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return undefined;
  return raw
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
}

export function readKnobs(): Knobs {
  return {
    rounds: positiveInt("BENCH_ROUNDS", 6),
    seconds: positiveNumber("BENCH_SECONDS", 4),
    warmupSeconds: positiveNumber("BENCH_WARMUP_SECONDS", 3),
    concurrency: positiveInt("BENCH_CONCURRENCY", 16),
    apiKeys: positiveInt("BENCH_API_KEYS", 8),
    targets: nameList("BENCH_TARGETS"),
  };
}

/**
 * The UTC day a use is counted in (`YYYY-MM-DD`). Shared by the Worker, which counts, and the key
 * CLI, which reads the counts: both must agree on the bucket.
 */
export function usageDay(now: number): string {
  return new Date(now).toISOString().slice(0, 10);
}

import { afterEach, describe, expect, it, vi } from "vitest";
import { awayFromWindowEdge, freshAddress } from "../src/limits.ts";

describe("freshAddress", () => {
  it("never repeats across the whole block, and stays a valid host address in 198.18.0.0/15", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 512 * 254; i++) {
      const address = freshAddress();
      const octets = address.split(".").map(Number);
      expect(octets[0]).toBe(198);
      expect([18, 19]).toContain(octets[1]);
      expect(octets[2]).toBeGreaterThanOrEqual(0);
      expect(octets[2]).toBeLessThanOrEqual(255);
      expect(octets[3]).toBeGreaterThanOrEqual(1);
      expect(octets[3]).toBeLessThanOrEqual(254);
      seen.add(address);
    }
    expect(seen.size).toBe(512 * 254);
  });
});

describe("awayFromWindowEdge", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Resolves awayFromWindowEdge at `offsetMs` into a 60 s window; how long it waited (fake time). */
  async function waitedAt(offsetMs: number, marginMs?: number): Promise<number> {
    vi.useFakeTimers();
    const start = 1_800_000_000_000 - (1_800_000_000_000 % 60_000) + offsetMs;
    vi.setSystemTime(start);
    const state = { done: false };
    const waiting = awayFromWindowEdge(60, marginMs).then(() => {
      state.done = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    while (!state.done) await vi.advanceTimersByTimeAsync(10);
    await waiting;
    return Date.now() - start;
  }

  it("returns at once with the margin left in the window", async () => {
    expect(await waitedAt(10_000)).toBe(0);
    expect(await waitedAt(54_999)).toBe(0);
  });

  it("near the edge, waits until just past it, so the next margin is one window", async () => {
    const waited = await waitedAt(57_000);
    expect(waited).toBeGreaterThanOrEqual(3_000);
    expect(waited).toBeLessThanOrEqual(3_100);
    expect(await waitedAt(51_000, 10_000)).toBeGreaterThanOrEqual(9_000);
  });
});

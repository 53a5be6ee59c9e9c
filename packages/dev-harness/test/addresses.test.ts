import { describe, expect, it } from "vitest";
import { freshAddress } from "../src/addresses.ts";

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

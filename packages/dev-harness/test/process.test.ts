// process.ts: the ports the harness picks for servers that must know their port before they start.
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { ephemeralLow, freePort, portIsFree } from "../src/process.ts";

/** The port the kernel gives a `listen(0)`: from its ephemeral range. */
function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        resolve(typeof address === "object" && address !== null ? address.port : 0);
      });
    });
  });
}

describe("freePort", () => {
  it("the control: a port the kernel picks lies in its ephemeral range", async () => {
    expect(await kernelPort()).toBeGreaterThanOrEqual(ephemeralLow());
  });

  it("hands out free ports below the ephemeral range (no listen(0) or outgoing connection can take them), each once", async () => {
    const ports: number[] = [];
    for (let i = 0; i < 40; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(1024);
      expect(port).toBeLessThan(ephemeralLow());
      expect([8787, 8788, 8789, 8790, 8791, 9229, 9287, 9288, 9289, 9290]).not.toContain(port);
    }
    expect(await portIsFree(ports[0] ?? 0)).toBe(true);
  });
});

import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../src/process.ts";
import { WranglerStartError, startWranglerDev } from "../src/wrangler-dev.ts";

const FIXTURE = join(import.meta.dirname, "fixtures", "kv-worker");
const seed = ["kv", "key", "put", "seeded", "by-prepare", "--binding", "STORE", "--local"];

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe("startWranglerDev", () => {
  it("serves on the given port with vars, after prepare ran against a given state dir; stop ends it and keeps that dir", async () => {
    const port = await freePort();
    const stateDir = mkdtempSync(join(tmpdir(), "dev-harness-test-state-"));
    cleanups.push(() => {
      rmSync(stateDir, { recursive: true, force: true });
    });
    const dev = await startWranglerDev({ cwd: FIXTURE, port, stateDir, prepare: [seed], vars: { GREETING: "hi" } });
    cleanups.push(() => dev.stop());
    expect(dev.origin).toBe(`http://127.0.0.1:${port}`);
    expect(dev.stateDir).toBe(stateDir);
    expect(await (await fetch(dev.origin)).json()).toEqual({ greeting: "hi", stored: "by-prepare" });

    await dev.stop();
    await expect(fetch(dev.origin, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
    expect(existsSync(stateDir)).toBe(true);
  });

  it("picks a free port and a fresh state dir when none is given, and removes that dir on stop", async () => {
    const dev = await startWranglerDev({ cwd: FIXTURE });
    cleanups.push(() => dev.stop());
    expect(dev.port).toBeGreaterThan(0);
    expect(await (await fetch(dev.origin)).json()).toEqual({ greeting: "from-config", stored: null });
    await dev.stop();
    expect(existsSync(dev.stateDir)).toBe(false);
  });

  it("a Worker that cannot start: the error says why and carries wrangler's output", async () => {
    const error = await startWranglerDev({ cwd: FIXTURE, config: "wrangler.broken.jsonc" }).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(WranglerStartError);
    const failure = error as WranglerStartError;
    expect(failure.reason).toMatch(/^wrangler exited with code [1-9]\d* before answering$/);
    expect(failure.outputTail).toContain("no-such-entry-point.js");
    expect(failure.message).toContain("wrangler dev in kv-worker (wrangler.broken.jsonc)");
    expect(failure.message).toContain(failure.outputTail);
  });

  it("a failing prepare command: the error names the command and carries its output", async () => {
    const error = await startWranglerDev({
      cwd: FIXTURE,
      prepare: [["kv", "key", "put", "k", "v", "--binding", "NO_SUCH_BINDING", "--local"]],
    }).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(WranglerStartError);
    const failure = error as WranglerStartError;
    expect(failure.reason).toMatch(
      /^`wrangler kv key put k v --binding NO_SUCH_BINDING --local` exited with code [1-9]/,
    );
    expect(failure.outputTail).toContain("NO_SUCH_BINDING");
  });

  it("a given port that is taken is refused up front (the readiness check would reach the other server)", async () => {
    const taken = createServer((_req, res) => res.end("someone else"));
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) =>
          taken.close(() => {
            resolve();
          }),
        ),
    );
    const port = (taken.address() as AddressInfo).port;
    const error = await startWranglerDev({ cwd: FIXTURE, port }).then(
      (dev) => dev.stop().then(() => undefined),
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(WranglerStartError);
    expect((error as WranglerStartError).reason).toBe(`port ${port} on 127.0.0.1 is already in use`);
  });
});

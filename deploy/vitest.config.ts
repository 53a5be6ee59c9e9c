import { defineConfig } from "vitest/config";

// Unit tests: preflight on the samples and on each bad case, the whole command against a fake
// wrangler on PATH (no account here), secret prompts on a pseudo-terminal, and the live-URL smoke
// test's verdicts on answers made up in the test. No server is started; the smoke test against the
// apps under `wrangler dev` is vitest.e2e.config.ts.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/**/*.e2e.test.ts"],
    environment: "node",
    testTimeout: 60_000,
  },
});

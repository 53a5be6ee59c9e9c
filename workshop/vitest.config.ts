import { defineConfig } from "vitest/config";

// Unit tests: the CLI's usage errors and reset's refusals, the shared helpers (no servers). The
// whole cycle of every exercise (start, check, solve, check, reset) is vitest.e2e.config.ts.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/**/*.e2e.test.ts"],
    environment: "node",
    testTimeout: 60_000,
  },
});

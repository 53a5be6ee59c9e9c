import { defineConfig } from "vitest/config";

// Unit tests: the scenario helpers and the report builder (no servers; the report's browser test
// opens a page in Chromium). The e2e run of `compare --quick` is vitest.e2e.config.ts.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/**/*.e2e.test.ts"],
    environment: "node",
    testTimeout: 120_000,
  },
});

import { defineConfig } from "vitest/config";

// Unit tests: the command line, the config diffs and the verdicts (no servers). The rehearsals
// themselves, against the local stack, are vitest.e2e.config.ts.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/**/*.e2e.test.ts"],
    environment: "node",
    testTimeout: 60_000,
  },
});

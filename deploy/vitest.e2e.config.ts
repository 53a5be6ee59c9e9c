import { defineConfig } from "vitest/config";

// End-to-end: the live-URL smoke test against each app under `wrangler dev`, as if it were the
// deployed Worker. One file at a time: every file starts wrangler processes on a 2-core machine.
export default defineConfig({
  test: {
    include: ["test/**/*.e2e.test.ts"],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 600_000,
  },
});

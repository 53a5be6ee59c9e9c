import { defineConfig } from "vitest/config";

// End-to-end: `compare --quick` against the whole local stack (and the apps it starts).
export default defineConfig({
  test: {
    include: ["test/**/*.e2e.test.ts"],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 700_000,
  },
});

import { defineConfig } from "vitest/config";

// End-to-end: every exercise's cycle against apps it starts under `wrangler dev` on free ports.
export default defineConfig({
  test: {
    include: ["test/**/*.e2e.test.ts"],
    fileParallelism: false,
    testTimeout: 400_000,
    hookTimeout: 400_000,
  },
});

import { defineConfig } from "vitest/config";

// End-to-end: `rehearse --quick` for each path against the local stack it starts, and the same
// runs broken on purpose (a note dropped in the move, optional mode left on).
export default defineConfig({
  test: {
    include: ["test/**/*.e2e.test.ts"],
    fileParallelism: false,
    testTimeout: 900_000,
    hookTimeout: 900_000,
  },
});

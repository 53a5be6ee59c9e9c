import { defineConfig } from "vitest/config";

// End-to-end: the app under `wrangler dev` (started once by global-setup), driven over HTTP by
// real MCP clients and a real browser. Files run one after another: they share one server.
export default defineConfig({
  test: {
    include: ["e2e/**/*.e2e.test.ts"],
    globalSetup: ["e2e/global-setup.ts"],
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 120_000,
  },
});

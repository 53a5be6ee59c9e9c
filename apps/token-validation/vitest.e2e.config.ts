import { defineConfig } from "vitest/config";

// End-to-end: three `wrangler dev` instances of the app (API keys + HS256; dev-idp JWKS, Access and
// introspection; migration mode), a real OAuth AS (dev-idp) and a fake Access certs endpoint, all
// started once by global-setup and driven over HTTP by real MCP clients, the key CLI and a real
// browser. Files run one after another: they share the servers (and their rate limiters).
export default defineConfig({
  test: {
    include: ["e2e/**/*.e2e.test.ts"],
    globalSetup: ["e2e/global-setup.ts"],
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 120_000,
  },
});

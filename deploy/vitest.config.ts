import { defineConfig } from "vitest/config";

// Unit tests: preflight on the samples and on each bad case, and the whole command against a fake
// wrangler on PATH (no account here), secret prompts on a pseudo-terminal. No server is started.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    testTimeout: 60_000,
  },
});

import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Integration tests inside workerd: the real Worker, real Durable Objects, real rate limiter.
export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.jsonc" },
      // Test-only (CI has no .dev.vars): turns on the notes admin route.
      miniflare: { bindings: { NOTES_ADMIN_SECRET: "workerd-test-notes-admin-secret-no-auth-0123" } },
    }),
  ],
  test: { include: ["test/**/*.test.ts"], testTimeout: 20_000 },
});

import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { join } from "node:path";
import { defineConfig } from "vitest/config";

// Integration tests inside workerd: the real Worker with real D1, Durable Objects and rate limiters.
export default defineConfig(async () => {
  const migrations = await readD1Migrations(join(import.meta.dirname, "migrations"));
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.jsonc" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            // Test-only settings (CI has no .dev.vars; wrangler.jsonc ships no dev values).
            JWT_SECRET: "workerd-test-hs256-secret-0123456789abcdefghij",
            JWT_ISSUER: "http://127.0.0.1:8791",
            JWT_AUDIENCE: "http://localhost:8788/mcp",
            NOTES_ADMIN_SECRET: "workerd-test-notes-admin-secret-token-validation",
            // Never inherited from a developer's .dev.vars: the tests check it is off by default.
            ALLOW_INSECURE_HTTP_LOOPBACK: "",
          },
        },
      }),
    ],
    test: { include: ["test/**/*.test.ts"], setupFiles: ["test/apply-migrations.ts"], testTimeout: 20_000 },
  };
});

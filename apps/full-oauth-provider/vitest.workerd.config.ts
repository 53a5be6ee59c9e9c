import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { join } from "node:path";
import { clientMetadataDocuments } from "@mcp-auth/dev-harness/client-metadata-documents";
import { defineConfig } from "vitest/config";

// Integration tests inside workerd: the real Worker with real D1, KV, Durable Objects and rate
// limiters. Test-only secrets (CI has no .dev.vars; wrangler.jsonc ships no dev values).
export default defineConfig(async () => {
  const migrations = await readD1Migrations(join(import.meta.dirname, "migrations"));
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.jsonc" },
        miniflare: {
          // The Worker's outbound fetches (Client ID Metadata Documents) are answered in Node.
          outboundService: clientMetadataDocuments,
          // The per-resource-server introspection limit, small enough for a test to reach
          // (wrangler.jsonc: 3000 a minute).
          ratelimits: {
            INTROSPECTION_LIMITER: { namespace_id: "1044", simple: { limit: 20, period: 60 } },
            // Per address (wrangler.jsonc: 600 a minute): small enough to spend in a test.
            RATE_LIMITER: { namespace_id: "1004", simple: { limit: 100, period: 60 } },
          },
          bindings: {
            TEST_MIGRATIONS: migrations,
            PUBLIC_ORIGIN: "http://localhost:8790",
            PASSWORD_PEPPER: "workerd-test-password-pepper-0123456789",
            PASSWORD_PEPPER_PREVIOUS: "",
            SESSION_SECRET: "workerd-test-session-secret-0123456789ab",
            ALLOW_INSECURE_HTTP_LOOPBACK: "true",
            // A second resource (token-validation's /mcp) with fewer scopes than this server's own.
            EXTRA_RESOURCES: '{"http://localhost:8788/mcp":["notes:read"]}',
          },
        },
      }),
    ],
    test: { include: ["test/**/*.test.ts"], setupFiles: ["test/apply-migrations.ts"], testTimeout: 30_000 },
  };
});

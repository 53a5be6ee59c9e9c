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

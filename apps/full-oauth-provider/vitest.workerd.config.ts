import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { join } from "node:path";
import { clientMetadataDocuments } from "@mcp-auth/dev-harness/client-metadata-documents";
import { exportJWK, generateKeyPair } from "jose";
import { defineConfig } from "vitest/config";

/** The enterprise IdP the workerd tests trust (test/enterprise.test.ts). */
const ENTERPRISE_ISSUER = "https://idp.enterprise.test";
const ENTERPRISE_JWKS_URL = `${ENTERPRISE_ISSUER}/jwks`;

/**
 * A test enterprise IdP: an RS256 and an ES256 key made for this run, the public halves served as
 * its JWKS to the Worker's outbound fetch, the private halves given to the tests (who sign with
 * them, as the IdP would). The Worker trusts RS256 only, so the ES256 key tests an algorithm the
 * IdP's configuration does not allow.
 */
async function enterpriseIdpKeys() {
  const pair = async (alg: "RS256" | "ES256", kid: string) => {
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
    const common = { kid, alg, use: "sig" };
    return {
      public: { ...(await exportJWK(publicKey)), ...common },
      private: { ...(await exportJWK(privateKey)), ...common },
    };
  };
  const keys = [await pair("RS256", "enterprise-rs256"), await pair("ES256", "enterprise-es256")];
  return { jwks: { keys: keys.map((key) => key.public) }, privateKeys: keys.map((key) => key.private) };
}

// Integration tests inside workerd: the real Worker with real D1, KV, Durable Objects and rate
// limiters. Test-only secrets (CI has no .dev.vars; wrangler.jsonc ships no dev values).
export default defineConfig(async () => {
  const migrations = await readD1Migrations(join(import.meta.dirname, "migrations"));
  const enterprise = await enterpriseIdpKeys();
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.jsonc" },
        miniflare: {
          // The per-resource-server introspection limit, small enough for a test to reach
          // (wrangler.jsonc: 3000 a minute).
          ratelimits: {
            INTROSPECTION_LIMITER: { namespace_id: "1044", simple: { limit: 20, period: 60 } },
            // Per address (wrangler.jsonc: 600 a minute): small enough to spend in a test.
            RATE_LIMITER: { namespace_id: "1004", simple: { limit: 100, period: 60 } },
          },
          // The Worker's outbound fetches (Client ID Metadata Documents, and the test enterprise
          // IdP's JWKS) are answered in Node.
          outboundService: (request: Request) =>
            request.url === ENTERPRISE_JWKS_URL ? Response.json(enterprise.jwks) : clientMetadataDocuments(request),
          bindings: {
            TEST_MIGRATIONS: migrations,
            PUBLIC_ORIGIN: "http://localhost:8790",
            PASSWORD_PEPPER: "workerd-test-password-pepper-0123456789",
            PASSWORD_PEPPER_PREVIOUS: "",
            SESSION_SECRET: "workerd-test-session-secret-0123456789ab",
            NOTES_ADMIN_SECRET: "workerd-test-notes-admin-secret-full-oauth-provider",
            ALLOW_INSECURE_HTTP_LOOPBACK: "true",
            // A second resource (token-validation's /mcp) with fewer scopes than this server's own.
            EXTRA_RESOURCES: '{"http://localhost:8788/mcp":["notes:read"]}',
            ENTERPRISE_IDP_ISSUER: ENTERPRISE_ISSUER,
            ENTERPRISE_IDP_JWKS_URL: ENTERPRISE_JWKS_URL,
            ENTERPRISE_IDP_ALGORITHMS: "RS256",
            TEST_ENTERPRISE_PRIVATE_KEYS: JSON.stringify(enterprise.privateKeys),
          },
        },
      }),
    ],
    test: { include: ["test/**/*.test.ts"], setupFiles: ["test/apply-migrations.ts"], testTimeout: 30_000 },
  };
});

import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { clientMetadataDocuments } from "./test/cimd-documents.ts";
import { fakeGithubApi } from "./test/fake-github-api.ts";
import { fakeOidcUpstream } from "./test/fake-oidc-upstream.ts";

// Integration tests inside workerd: the real Worker with real KV, Durable Objects and rate
// limiters. The upstream here is the github preset pointed at a host that does not exist: these
// tests never leave the Worker (the oidc flow against dev-idp is the e2e suite's).
export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.jsonc" },
      miniflare: {
        // The Worker's outbound fetches (Client ID Metadata Documents, the fake OIDC upstream
        // some refusal tests switch to, GitHub's token check at each refresh) are answered here,
        // in Node, without a network.
        outboundService: async (request: Request) =>
          (await fakeOidcUpstream(request)) ?? fakeGithubApi(request) ?? clientMetadataDocuments(request),
        bindings: {
          PUBLIC_ORIGIN: "http://localhost:8789",
          UPSTREAM: "github",
          UPSTREAM_ISSUER: "",
          UPSTREAM_CLIENT_ID: "workerd-test-client",
          UPSTREAM_CLIENT_SECRET: "workerd-test-secret",
          GITHUB_BASE_URL: "https://github.invalid",
          GITHUB_API_URL: "https://api.github.invalid",
          ALLOW_INSECURE_HTTP_LOOPBACK: "true",
          NOTES_ADMIN_SECRET: "workerd-test-notes-admin-secret-oauth-proxy-0123",
        },
      },
    }),
  ],
  test: { include: ["test/**/*.test.ts"], testTimeout: 20_000 },
});

import type { D1Migration } from "cloudflare:test";

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      /** The test enterprise IdP's private JWKs (RS256, ES256), from vitest.workerd.config.ts. */
      TEST_ENTERPRISE_PRIVATE_KEYS: string;
      ENTERPRISE_IDP_ISSUER: string;
    }
  }
}

import { describeTokenEndpoint } from "@mcp-auth/auth-common/testing/node";
import { inject } from "vitest";

// The authorization server's /token, refresh and /register attack cases, shared with
// full-oauth-provider; here every login signs in at dev-idp (any name, any password).
describeTokenEndpoint({ origin: () => inject("origin"), aliasOrigin: () => inject("aliasOrigin") });

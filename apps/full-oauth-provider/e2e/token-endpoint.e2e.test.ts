import { describeTokenEndpoint } from "@mcp-auth/auth-common/testing/node";
import { inject } from "vitest";
import { signInAs } from "./flow.ts";

// The authorization server's /token, refresh and /register attack cases, shared with
// oauth-proxy; here each login is an account of this server, signed in on its own login page.
describeTokenEndpoint({
  origin: () => inject("origin"),
  aliasOrigin: () => inject("aliasOrigin"),
  signInAs: (login) => signInAs(inject("accounts"), login),
});

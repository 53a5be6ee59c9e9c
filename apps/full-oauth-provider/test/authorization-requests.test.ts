import { describeAuthorizationRequests } from "@mcp-auth/auth-common/testing";
import { ORIGIN, call } from "./helpers.ts";

// Registration policy, /authorize validation and PKCE for every client, bounded bodies and
// identifier lengths: the same cases as oauth-proxy's, against this app (validation runs before
// the sign-in page), with every POST route of this app's own pages.
describeAuthorizationRequests(call, ORIGIN, [
  "/login",
  "/logout",
  "/login/passkey/options",
  "/login/passkey/verify",
  "/account/passkeys/options",
  "/account/passkeys/verify",
  "/account/passkeys/remove",
  "/account/revoke",
]);

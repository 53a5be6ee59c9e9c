import { describeAuthorizationRequests } from "@mcp-auth/auth-common/authorization-server/testing";
import { ORIGIN, call } from "./helpers.ts";

// Registration policy, /authorize validation and PKCE for every client: the same cases as
// oauth-proxy's, against this app (validation runs before the sign-in page).
describeAuthorizationRequests(call, ORIGIN);

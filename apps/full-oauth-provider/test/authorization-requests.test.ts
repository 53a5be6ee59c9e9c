import { describeAuthorizationRequests } from "@mcp-auth/auth-common/authorization-server/testing";
import { ORIGIN, REDIRECT_URI, authorizePath, call, registerClient } from "./helpers.ts";

// Registration policy, /authorize validation and PKCE for every client: the same cases as
// oauth-proxy's, against this app (validation runs before the sign-in page).
describeAuthorizationRequests({ call, registerClient, authorizePath, redirectUri: REDIRECT_URI, origin: ORIGIN });

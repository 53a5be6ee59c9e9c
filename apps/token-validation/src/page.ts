import type { LandingPageContent } from "@mcp-auth/auth-common";
import { TOOLS } from "@mcp-auth/mcp-core";
import type { Config } from "./config.ts";

const METHOD_TEXT: Record<Config["AUTH_METHODS"][number], string> = {
  api_key:
    "API key (mcpk_…) in Authorization: Bearer — stored only as a SHA-256 hash, revocable at once, usage counted per day.",
  jwt: "JWT in Authorization: Bearer — signature, issuer, audience and expiry checked with pinned algorithms.",
  access:
    "Cloudflare Access — the Cf-Access-Jwt-Assertion header, verified against your team's keys and application AUD.",
  introspection:
    "Opaque token in Authorization: Bearer — checked with the authorization server (RFC 7662), cached briefly.",
  mtls: "Client certificate — verified by Cloudflare at the edge (mTLS), read from the request's TLS fields.",
};

/** How a developer gets a credential for each method, with the command where there is one. */
function credentialSteps(config: Config): { how: string; command?: string }[] {
  const steps: Record<Config["AUTH_METHODS"][number], () => { how: string; command?: string }> = {
    api_key: () => ({
      how: "An API key: from the repository root, while the dev server runs (add --remote for the deployed database). It is printed once; put it after Bearer.",
      command: 'npm run keys -- create --owner you --scopes "notes:read notes:write"',
    }),
    jwt: () =>
      config.JWT_SECRET !== undefined
        ? {
            how: "A dev JWT signed with JWT_SECRET from .dev.vars, for this server's JWT_ISSUER and JWT_AUDIENCE (it prints only the token):",
            command: 'TOKEN=$(npm run -s mint-token -- --sub you --scopes "notes:read notes:write")',
          }
        : {
            how: `A JWT from ${config.JWT_ISSUER ?? "JWT_ISSUER"} whose aud is ${config.JWT_AUDIENCE ?? "JWT_AUDIENCE"}, signed with a key from JWT_JWKS_URL.`,
          },
    access: () => ({
      how: "Cloudflare Access: sign in through your Access application; the edge adds the Cf-Access-Jwt-Assertion header for you.",
    }),
    introspection: () => ({
      how: `An access token from your authorization server for the audience ${config.INTROSPECTION_AUDIENCE ?? "INTROSPECTION_AUDIENCE"}; this server checks it by introspection.`,
    }),
    mtls: () => ({
      how: "A client certificate issued by your zone's mTLS certificate authority, presented by the client at Cloudflare's edge.",
    }),
  };
  return config.AUTH_METHODS.map((method) => steps[method]());
}

/** The migration-mode line's announcement of `AUTH_REQUIRED_FROM`, or nothing when it is unset. */
function requiredFrom(config: Config): string {
  return config.AUTH_REQUIRED_FROM === undefined
    ? ""
    : ` until ${config.AUTH_REQUIRED_FROM}: from that day this server requires a credential (anonymous answers say so in Deprecation and Sunset headers and after each tool result)`;
}

/** What the `GET /` page says about this pattern and this deployment. */
export function pageContent(config: Config): LandingPageContent {
  return {
    pattern: "token-validation",
    tools: TOOLS,
    title: "Token validation",
    summary:
      "The client already holds a credential and sends it with every request. The server checks it and knows who is calling — no login flow, no redirects.",
    howItWorks: [
      ...config.AUTH_METHODS.map((method) => METHOD_TEXT[method]),
      config.AUTH_MODE === "optional"
        ? `Migration mode: a request without a credential is served as anonymous with ${config.ANONYMOUS_SCOPES.join(" ") || "no scopes"}${requiredFrom(config)}; a bad credential is still rejected.`
        : `A request without a credential gets 401; a bad one gets 401 invalid_token; a missing scope gets ${config.AUTHORIZATION_SERVERS.length > 0 ? "403 insufficient_scope, so the client can step up" : "a tool error naming the scope (no authorization server to step up at)"}.`,
    ],
    risks: [
      "A leaked credential works until it expires or is revoked: keep API keys in a secret store, prefer short-lived JWTs.",
      "JWTs cannot be revoked before exp; API keys and introspected tokens can (a revoked key fails on its next request).",
      "Credentials travel in a header on every request: only ever over HTTPS, never in a URL (query tokens are ignored).",
      "Scopes are the only authorization: give read-only keys to clients that only read.",
    ],
    clientHeaders: { Authorization: "Bearer <YOUR_API_KEY_OR_TOKEN>" },
    credentials: credentialSteps(config),
    settings: [
      ["AUTH_METHODS", config.AUTH_METHODS.join(", ")],
      ["AUTH_MODE", config.AUTH_MODE],
      ...(config.AUTH_REQUIRED_FROM === undefined
        ? []
        : [["AUTH_REQUIRED_FROM", config.AUTH_REQUIRED_FROM] satisfies [string, string]]),
      ["JWT_ISSUER", config.JWT_ISSUER ?? "(unset)"],
      ["JWT_AUDIENCE", config.JWT_AUDIENCE ?? "(unset)"],
      ["AUTHORIZATION_SERVERS", config.AUTHORIZATION_SERVERS.join(", ") || "(none: no OAuth metadata published)"],
    ],
  };
}

import { describeMcpContract, type Connection } from "@mcp-auth/mcp-core/testing";
import { inject } from "vitest";
import { AUDIENCE, OPAQUE_RESOURCE } from "./constants.ts";
import { bearer, createKey, hs256Token, idpToken, type CreatedKey } from "./helpers.ts";

// The shared contract over real HTTP, once per credential type: API keys made with the key CLI
// and HS256 JWTs on the "keys" instance; dev-idp JWTs (JWKS) and opaque tokens (introspection)
// on the "idp" instance. Every connection comes from its own address (per-address limiter).

function connection(origin: string, credential: string): Connection {
  return { url: new URL("/mcp", origin), headers: bearer(credential) };
}

/** One key per role for the whole file: the CLI is slow (it starts wrangler) and keys do not expire. */
const keyFor: Record<string, Promise<CreatedKey> | undefined> = {};
function cliKey(owner: string, scopes: string): Promise<CreatedKey> {
  keyFor[owner] ??= createKey(inject("keys").stateDir, owner, scopes);
  return keyFor[owner];
}

describeMcpContract({
  label: "API key",
  pattern: "token-validation",
  method: "api_key",
  fullAccess: async () =>
    connection(inject("keys").origin, (await cliKey("contract-writer", "notes:read notes:write")).key),
  readOnly: {
    stepUp: false, // the keys instance names no authorization server
    connect: async () => connection(inject("keys").origin, (await cliKey("contract-reader", "notes:read")).key),
  },
  secrets: async () => [(await cliKey("contract-writer", "notes:read notes:write")).key],
});

const hs256Tokens: string[] = [];
describeMcpContract({
  label: "JWT (HS256)",
  pattern: "token-validation",
  method: "jwt",
  fullAccess: async () => {
    const token = await hs256Token();
    hs256Tokens.push(token);
    return connection(inject("keys").origin, token);
  },
  readOnly: {
    stepUp: false, // the keys instance names no authorization server
    connect: async () => connection(inject("keys").origin, await hs256Token({ scope: "notes:read" })),
  },
  secrets: async () => hs256Tokens,
});

// dev-idp's tokens, checked by their JWKS signature or by introspection: the same contract, the
// resource the token is for decides which verifier takes it.
for (const { label, method, resource } of [
  { label: "JWT (JWKS, dev-idp)", method: "jwt", resource: AUDIENCE },
  { label: "introspection (dev-idp)", method: "introspection", resource: OPAQUE_RESOURCE },
] as const) {
  const issued: string[] = [];
  describeMcpContract({
    label,
    pattern: "token-validation",
    method,
    fullAccess: async () => {
      const token = await idpToken(resource);
      issued.push(token);
      return connection(inject("idp").origin, token);
    },
    readOnly: {
      stepUp: true,
      connect: async () => connection(inject("idp").origin, await idpToken(resource, "notes:read")),
    },
    secrets: async () => issued,
  });
}

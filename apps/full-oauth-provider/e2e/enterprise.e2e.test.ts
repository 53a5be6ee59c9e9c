// Enterprise-managed authorization end to end, every signature real: a person signs in at the
// enterprise IdP (dev-idp over HTTPS), the MCP client exchanges their ID token there for an ID-JAG
// (RFC 8693), redeems it here (RFC 7523 jwt-bearer, as a confidential client) and calls tools as
// the local user with that email. The refusals of each check are in test/enterprise.test.ts.
import {
  ID_JAG_TOKEN_TYPE,
  ID_TOKEN_TYPE,
  TOKEN_EXCHANGE_GRANT,
  authorizeHeadlessly,
  basicAuth,
  type ClientCredentials,
} from "@mcp-auth/dev-harness";
import { connectClient } from "@mcp-auth/mcp-core/testing";
import { createHash, randomBytes } from "node:crypto";
import { getCACertificates, setDefaultCACertificates } from "node:tls";
import { beforeAll, describe, expect, inject, it } from "vitest";

const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const enterprise = inject("enterprise");
const origin = inject("origin");

beforeAll(() => {
  // This process calls dev-idp over HTTPS: trust the certificate the run made for it.
  setDefaultCACertificates([...getCACertificates("default"), enterprise.certificate]);
});

function post(url: string, client: ClientCredentials, form: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { authorization: basicAuth(client), "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form),
  });
}

/** `login` signs in at dev-idp through the agent (authorization code + PKCE); its ID token. */
async function idTokenOf(login: string): Promise<string> {
  const verifier = randomBytes(32).toString("base64url");
  const authorizationUrl = new URL(`${enterprise.issuer}/auth`);
  authorizationUrl.search = new URLSearchParams({
    client_id: enterprise.agent.clientId,
    response_type: "code",
    redirect_uri: enterprise.agent.redirectUri,
    scope: "openid email",
    state: "enterprise-state",
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
  }).toString();
  const { callback } = await authorizeHeadlessly({
    authorizationUrl,
    redirectUri: enterprise.agent.redirectUri,
    login,
  });
  const response = await post(`${enterprise.issuer}/token`, enterprise.agent, {
    grant_type: "authorization_code",
    code: callback.searchParams.get("code") ?? "",
    redirect_uri: enterprise.agent.redirectUri,
    code_verifier: verifier,
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { id_token: string }).id_token;
}

/** The RFC 8693 exchange at dev-idp: the ID token for an ID-JAG for this server. */
async function idJagOf(idToken: string): Promise<string> {
  const response = await post(`${enterprise.issuer}/token`, enterprise.agent, {
    grant_type: TOKEN_EXCHANGE_GRANT,
    requested_token_type: ID_JAG_TOKEN_TYPE,
    subject_token: idToken,
    subject_token_type: ID_TOKEN_TYPE,
    audience: origin,
    resource: `${origin}/mcp`,
    scope: "notes:read notes:write",
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { access_token: string; issued_token_type: string };
  expect(body.issued_token_type).toBe(ID_JAG_TOKEN_TYPE);
  return body.access_token;
}

/** The ID-JAG redeemed here, as the agent's confidential client. */
function redeem(assertion: string): Promise<Response> {
  return post(`${origin}/token`, enterprise.client, { grant_type: JWT_BEARER, assertion });
}

describe("enterprise-managed authorization with dev-idp as the enterprise IdP", () => {
  it("ID token → ID-JAG at the IdP → access token here → tools as the local user; the ID-JAG is single use", async () => {
    const idJag = await idJagOf(await idTokenOf(enterprise.login));
    const response = await redeem(idJag);
    expect(response.status).toBe(200);
    const tokens = (await response.json()) as Record<string, unknown>;
    expect(tokens["scope"]).toBe("notes:read notes:write");
    expect(tokens["refresh_token"]).toBeUndefined();
    const accessToken = String(tokens["access_token"]);

    const client = await connectClient("sdk-v2 (2026-07-28)", {
      url: new URL("/mcp", origin),
      headers: { authorization: `Bearer ${accessToken}` },
    });
    try {
      const me = await client.callTool("whoami", {});
      expect(me.structuredContent).toMatchObject({
        pattern: "full-oauth-provider",
        method: "oauth",
        issuer: origin,
        displayName: "Enterprise User",
        clientId: enterprise.client.clientId,
        scopes: ["notes:read", "notes:write"],
      });
      expect(JSON.stringify(me)).not.toContain(accessToken);
      expect((await client.callTool("notes_add", { text: "from the enterprise" })).isError ?? false).toBe(false);
    } finally {
      await client.close();
    }

    const replay = await redeem(idJag);
    expect(replay.status).toBe(400);
    expect(await replay.json()).toEqual({ error: "invalid_grant", error_description: "Invalid assertion" });
  });

  it("a person the IdP knows but this server does not: a valid ID-JAG, refused, no account made", async () => {
    const response = await redeem(await idJagOf(await idTokenOf("stranger")));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: "invalid_grant",
      error_description: "Assertion was not authorized",
    });
  });
});

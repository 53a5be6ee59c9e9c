// dev-idp as an enterprise IdP: an RFC 8693 token exchange of its own ID token for an ID-JAG
// (draft-ietf-oauth-identity-assertion-authz-grant), signed with its real signing keys.
import {
  SignJWT,
  createRemoteJWKSet,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
} from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEV_PROXY_CLIENT,
  ID_JAG_TOKEN_TYPE,
  ID_TOKEN_TYPE,
  OAuthError,
  TOKEN_EXCHANGE_GRANT,
  basicAuth,
  startDevIdp,
  type ClientCredentials,
  type DevClient,
  type DevIdp,
} from "../src/index.ts";
import { MiniBrowser, pkce, runLoginFlow } from "./login-flow.ts";

const REDIRECT_URI = "http://127.0.0.1:18790/callback";
/** The authorization server the agent gets ID-JAGs for (its issuer), and the agent's id there. */
const AS_ISSUER = "https://mcp.example.com";
const AS_CLIENT_ID = "agent-at-mcp-example";
const RESOURCE = "https://mcp.example.com/mcp";

const AGENT: DevClient = {
  clientId: "mcp-enterprise-agent",
  clientSecret: "dev-only-mcp-enterprise-agent-secret",
  grantTypes: ["authorization_code", TOKEN_EXCHANGE_GRANT],
  redirectUris: [REDIRECT_URI],
  scope: "openid profile email",
  idJagClientIds: { [AS_ISSUER]: AS_CLIENT_ID },
};
/** Signs people in too, but may not exchange anything. */
const OTHER: DevClient = { ...DEV_PROXY_CLIENT, redirectUris: [REDIRECT_URI] };

let idp: DevIdp;

beforeAll(async () => {
  idp = await startDevIdp({ clients: [AGENT, OTHER] });
});

afterAll(async () => {
  await idp.stop();
});

/** Signs `login` in as `client` through dev-idp's pages; returns the ID token. */
async function idTokenFor(login: string, client: DevClient = AGENT): Promise<string> {
  const verifier = pkce();
  const url = new URL(idp.authorizationUrl);
  url.search = new URLSearchParams({
    client_id: client.clientId,
    response_type: "code",
    redirect_uri: REDIRECT_URI,
    scope: "openid email",
    state: "s",
    code_challenge: verifier.challenge,
    code_challenge_method: "S256",
  }).toString();
  const { callback } = await runLoginFlow(new MiniBrowser(), url, REDIRECT_URI, login);
  const response = await fetch(idp.tokenUrl, {
    method: "POST",
    headers: { authorization: basicAuth(client), "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code: callback.searchParams.get("code") ?? "",
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier.verifier,
    }),
  });
  expect(response.status).toBe(200);
  return String(((await response.json()) as Record<string, unknown>).id_token);
}

/** A raw token exchange as `client` (client_secret_basic) with `params` over the usual ones. */
function exchange(client: ClientCredentials, params: Record<string, string | undefined>): Promise<Response> {
  const body = new URLSearchParams();
  const all: Record<string, string | undefined> = {
    grant_type: TOKEN_EXCHANGE_GRANT,
    requested_token_type: ID_JAG_TOKEN_TYPE,
    subject_token_type: ID_TOKEN_TYPE,
    audience: AS_ISSUER,
    resource: RESOURCE,
    ...params,
  };
  for (const [name, value] of Object.entries(all)) if (value !== undefined) body.set(name, value);
  return fetch(idp.tokenUrl, {
    method: "POST",
    headers: { authorization: basicAuth(client), "content-type": "application/x-www-form-urlencoded" },
    body,
  });
}

async function expectError(response: Response, status: number, error: string, description: string) {
  expect(response.status).toBe(status);
  const body = (await response.json()) as Record<string, unknown>;
  expect(body.error).toBe(error);
  expect(body.error_description).toBe(description);
}

describe("ID-JAG token exchange", () => {
  it("advertises the token exchange grant in discovery", async () => {
    const discovery = (await (await fetch(idp.discoveryUrl)).json()) as Record<string, unknown>;
    expect(discovery.grant_types_supported).toContain(TOKEN_EXCHANGE_GRANT);
  });

  it("exchanges its own ID token for an ID-JAG signed with its real keys, naming the client's id at the AS", async () => {
    const idToken = await idTokenFor("alice");
    const response = await idp.exchangeForIdJag({
      client: AGENT,
      idToken,
      audience: AS_ISSUER,
      resource: RESOURCE,
      scope: "notes:read notes:write",
    });
    expect(response).toMatchObject({
      issued_token_type: ID_JAG_TOKEN_TYPE,
      token_type: "N_A",
      expires_in: 300,
      scope: "notes:read notes:write",
    });
    const idJag = response.access_token;
    const header = decodeProtectedHeader(idJag);
    expect(header.typ).toBe("oauth-id-jag+jwt");
    expect(header.alg).toBe("RS256");
    // The key that signed it is the one the JWKS publishes: verified here against the JWKS URL.
    expect(header.kid).toBe(idp.exportSigningKeys()[0]?.kid);
    const { payload } = await jwtVerify(idJag, createRemoteJWKSet(new URL(idp.jwksUrl)), {
      issuer: idp.issuer,
      audience: AS_ISSUER,
      typ: "oauth-id-jag+jwt",
      algorithms: ["RS256"],
    });
    expect(payload).toMatchObject({
      sub: "alice",
      client_id: AS_CLIENT_ID,
      resource: RESOURCE,
      scope: "notes:read notes:write",
      email: "alice@example.test",
      email_verified: true,
    });
    expect(payload.jti).toEqual(expect.any(String));
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(300);
    // Every ID-JAG is its own: a second exchange of the same ID token gets another jti.
    const again = await idp.exchangeForIdJag({ client: AGENT, idToken, audience: AS_ISSUER });
    const second = await jwtVerify(again.access_token, createRemoteJWKSet(new URL(idp.jwksUrl)));
    expect(second.payload.jti).not.toBe(payload.jti);
    expect(second.payload.resource).toBeUndefined();
  });

  it("throws OAuthError from exchangeForIdJag on a refusal", async () => {
    const error = await idp.exchangeForIdJag({ client: AGENT, idToken: "not-a-jwt", audience: AS_ISSUER }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OAuthError);
    expect((error as OAuthError).error).toBe("invalid_request");
  });

  const notAnIdToken = "subject_token is not a valid ID token this issuer gave this client";

  it.each([
    ["garbage", async () => "not-a-jwt"],
    ["an ID token it gave another client", () => idTokenFor("bob", OTHER)],
    [
      "an ID token signed by a key that is not its own",
      async () => {
        const { privateKey } = await generateKeyPair("RS256", { extractable: true });
        const now = Math.floor(Date.now() / 1000);
        return new SignJWT({ sub: "mallory" })
          .setProtectedHeader({ alg: "RS256", kid: idp.exportSigningKeys()[0]?.kid ?? "" })
          .setIssuer(idp.issuer)
          .setAudience(AGENT.clientId)
          .setIssuedAt(now)
          .setExpirationTime(now + 60)
          .sign(privateKey);
      },
    ],
    [
      "an expired ID token, signed with its own key",
      async () => {
        const key = idp.exportSigningKeys()[0] ?? {};
        const now = Math.floor(Date.now() / 1000);
        return new SignJWT({ sub: "alice" })
          .setProtectedHeader({ alg: "RS256", kid: key.kid ?? "" })
          .setIssuer(idp.issuer)
          .setAudience(AGENT.clientId)
          .setIssuedAt(now - 7200)
          .setExpirationTime(now - 3600)
          .sign(await importJWK(key, "RS256"));
      },
    ],
    [
      "an ID token of another issuer",
      async () => {
        const { privateKey } = await generateKeyPair("RS256", { extractable: true });
        const jwk = await exportJWK(privateKey);
        const now = Math.floor(Date.now() / 1000);
        return new SignJWT({ sub: "alice" })
          .setProtectedHeader({ alg: "RS256" })
          .setIssuer("https://idp.elsewhere.test")
          .setAudience(AGENT.clientId)
          .setIssuedAt(now)
          .setExpirationTime(now + 60)
          .sign(await importJWK(jwk, "RS256"));
      },
    ],
  ])("subject_token %s → 400 invalid_request (RFC 8693 §2.2.2)", async (_name, make) => {
    await expectError(await exchange(AGENT, { subject_token: await make() }), 400, "invalid_request", notAnIdToken);
  });

  it.each([
    [
      { requested_token_type: "urn:ietf:params:oauth:token-type:access_token" },
      400,
      "invalid_request",
      `requested_token_type must be ${ID_JAG_TOKEN_TYPE}`,
    ],
    [
      { subject_token_type: "urn:ietf:params:oauth:token-type:access_token" },
      400,
      "invalid_request",
      `subject_token_type must be ${ID_TOKEN_TYPE}`,
    ],
    [{ audience: undefined }, 400, "invalid_request", "audience is required: the authorization server's issuer"],
    [
      { audience: "https://other-as.example" },
      400,
      "invalid_target",
      "client mcp-enterprise-agent may not get ID-JAGs for audience https://other-as.example",
    ],
    [
      { resource: "https://mcp.example.com/mcp#x" },
      400,
      "invalid_target",
      "resource must be an absolute URL without a fragment",
    ],
    [{ resource: "not a url" }, 400, "invalid_target", "resource must be an absolute URL without a fragment"],
  ] as const)("%o → %i %s", async (params, status, error, description) => {
    const subject_token = await idTokenFor("alice");
    await expectError(await exchange(AGENT, { subject_token, ...params }), status, error, description);
  });

  it("refuses a client that is not registered for the exchange, and a wrong secret", async () => {
    const subject_token = await idTokenFor("carol", OTHER);
    await expectError(
      await exchange(OTHER, { subject_token }),
      400,
      "invalid_request",
      "requested grant type is not allowed for this client",
    );
    const wrong = { clientId: AGENT.clientId, clientSecret: "wrong" };
    const response = await exchange(wrong, { subject_token: await idTokenFor("alice") });
    expect(response.status).toBe(401);
    expect(((await response.json()) as Record<string, unknown>).error).toBe("invalid_client");
  });
});

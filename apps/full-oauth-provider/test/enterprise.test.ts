// Enterprise-managed authorization: an ID-JAG (draft-ietf-oauth-identity-assertion-authz-grant)
// redeemed at /token with the RFC 7523 jwt-bearer grant. The assertions are signed by the test
// enterprise IdP the Worker trusts (vitest.workerd.config.ts: keys made for this run, its JWKS
// served to the Worker's outbound fetch), so every signature is real and every refusal below is
// the library's or ours, not a fixture's.
import { freshAddress } from "@mcp-auth/dev-harness/limits";
import { env } from "cloudflare:workers";
import { SignJWT, exportJWK, generateKeyPair, importJWK, type JWK, type JWTPayload } from "jose";
import { describe, expect, it } from "vitest";
import { listGrants } from "../src/grants.ts";
import { readAudit, setDisabled, type AuditRow } from "../src/users.ts";
import { Browser, ORIGIN, call, eventually, hiddenValue, testUser } from "./helpers.ts";

const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const ISSUER = env.ENTERPRISE_IDP_ISSUER;
const [RS256_KEY, ES256_KEY] = JSON.parse(env.TEST_ENTERPRISE_PRIVATE_KEYS) as [JWK, JWK];

interface Client {
  clientId: string;
  clientSecret: string;
}

/** A confidential client (client_secret_basic), as the grant requires by default. */
async function confidentialClient(): Promise<Client> {
  const response = await call("/register", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      client_name: "enterprise agent",
      redirect_uris: ["https://agent.example/callback"],
      token_endpoint_auth_method: "client_secret_basic",
    }),
  });
  expect(response.status).toBe(201);
  const body = await response.json<{ client_id: string; client_secret: string }>();
  return { clientId: body.client_id, clientSecret: body.client_secret };
}

/** An ID-JAG for `client` and `email`, signed with the IdP's RS256 key; `claims` and `header` override. */
async function idJag(
  client: Client,
  email: string,
  claims: JWTPayload & Record<string, unknown> = {},
  { key = RS256_KEY, alg = "RS256", typ = "oauth-id-jag+jwt" }: { key?: JWK; alg?: string; typ?: string } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    iss: ISSUER,
    sub: `enterprise-${email}`,
    aud: ORIGIN,
    client_id: client.clientId,
    jti: crypto.randomUUID(),
    iat: now,
    exp: now + 120,
    resource: `${ORIGIN}/mcp`,
    scope: "notes:read notes:write",
    email,
    email_verified: true,
    ...claims,
  })
    .setProtectedHeader({ alg, typ, ...(key.kid === undefined ? {} : { kid: key.kid }) })
    .sign(await importJWK(key, alg));
}

/** POST /token with the jwt-bearer grant, authenticated as `client`, from `address`. */
function redeem(client: Client, assertion: string, address: string, extra: Record<string, string> = {}) {
  return call(
    "/token",
    {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${btoa(`${client.clientId}:${client.clientSecret}`)}`,
      },
      body: new URLSearchParams({ grant_type: JWT_BEARER, assertion, ...extra }).toString(),
    },
    address,
  );
}

/** whoami at /mcp with this access token. */
function whoami(accessToken: string): Promise<Response> {
  return call("/mcp", {
    method: "POST",
    headers: {
      authorization: `Bearer ${accessToken}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2025-06-18",
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "whoami", arguments: {} } }),
  });
}

/** The audit row of `event` written for a request from `address` (rows are written after the response). */
async function auditFrom(address: string, event: string): Promise<AuditRow | undefined> {
  const match = (row: AuditRow) => row.address === address && row.event === event;
  const rows = await eventually(
    () => readAudit(env.DB, { limit: 10_000 }),
    (found) => found.some(match),
  );
  return rows.find(match);
}

async function expectError(response: Response, status: number, error: string, description: string) {
  expect(response.status).toBe(status);
  const body = await response.json<Record<string, unknown>>();
  expect(body).toEqual({ error, error_description: description });
}

describe("enterprise-managed authorization (ID-JAG, jwt-bearer at /token)", () => {
  it("a valid assertion → an access token for the user with that verified email → a tool call as that user", async () => {
    const user = await testUser();
    const client = await confidentialClient();
    const address = freshAddress();
    // The assertion allows an unknown scope too: the token gets only what this server offers.
    const assertion = await idJag(client, user.email.toUpperCase(), { scope: "notes:read notes:write admin" });
    const response = await redeem(client, assertion, address);
    expect(response.status).toBe(200);
    const tokens = await response.json<Record<string, unknown>>();
    expect(tokens["token_type"]).toBe("bearer");
    expect(tokens["scope"]).toBe("notes:read notes:write");
    // The library issues no refresh token for this grant: the client asks the IdP again.
    expect(tokens["refresh_token"]).toBeUndefined();
    const accessToken = String(tokens["access_token"]);

    const answer = await whoami(accessToken);
    expect(answer.status).toBe(200);
    const text = await answer.text();
    expect(text).toContain(user.id);
    expect(text).toContain("notes:write");
    expect(text).not.toContain(accessToken);

    const issued = await auditFrom(address, "enterprise_token_issued");
    expect(issued).toMatchObject({
      outcome: "ok",
      userId: user.id,
      clientId: client.clientId,
      detail: "scope=notes:read notes:write",
    });
  });

  it("the grant is the user's like any other: on /account, where Revoke ends the token at /mcp", async () => {
    const user = await testUser();
    const client = await confidentialClient();
    const response = await redeem(client, await idJag(client, user.email), freshAddress());
    const accessToken = (await response.json<{ access_token: string }>()).access_token;
    const [grant] = await listGrants(env.OAUTH_KV, user.id);
    expect(grant).toMatchObject({ userId: user.id, clientId: client.clientId, scope: ["notes:read", "notes:write"] });
    expect((await whoami(accessToken)).status).toBe(200);

    const browser = new Browser();
    await browser.signIn(user.email);
    const html = await (await browser.fetch("/account")).text();
    expect(html).toContain("enterprise agent");
    expect(hiddenValue(html, "grant")).toBe(grant?.id);
    const csrf = /action="\/account\/revoke">\s*<input type="hidden" name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
    const revoked = await browser.post("/account/revoke", { grant: grant?.id ?? "", csrf });
    expect(revoked.status).toBe(303);
    expect((await whoami(accessToken)).status).toBe(401);
    expect(await listGrants(env.OAUTH_KV, user.id)).toEqual([]);
  });

  it("asks for no scope and the assertion names none: the initial scope only", async () => {
    const user = await testUser();
    const client = await confidentialClient();
    const response = await redeem(client, await idJag(client, user.email, { scope: undefined }), freshAddress());
    expect(response.status).toBe(200);
    expect((await response.json<{ scope: string }>()).scope).toBe("notes:read");
  });

  /** Each refusal: the RFC 7523 §3.1 answer (invalid_grant, one generic description) and the audited reason. */
  const refusals: [string, (client: Client, email: string) => Promise<string>, string][] = [
    ["wrong audience", (client, email) => idJag(client, email, { aud: "https://other-as.example" }), "aud_mismatch"],
    [
      "wrong issuer",
      (client, email) => idJag(client, email, { iss: "https://idp.elsewhere.test" }),
      "issuer_not_trusted",
    ],
    [
      "expired",
      (client, email) => {
        const now = Math.floor(Date.now() / 1000);
        return idJag(client, email, { iat: now - 600, exp: now - 300 });
      },
      "expired",
    ],
    [
      "unsupported algorithm: ES256, which this IdP's configuration does not allow",
      (client, email) => idJag(client, email, {}, { key: ES256_KEY, alg: "ES256" }),
      "invalid_alg",
    ],
    [
      "unsupported algorithm: PS256, which the library never verifies",
      (client, email) => idJag(client, email, {}, { alg: "PS256" }),
      "invalid_alg",
    ],
    [
      "signed by a key that is not the IdP's, under its kid",
      async (client, email) => {
        const { privateKey } = await generateKeyPair("RS256", { extractable: true });
        return idJag(client, email, {}, { key: { ...(await exportJWK(privateKey)), kid: RS256_KEY.kid } });
      },
      "signature_failed",
    ],
    ["not an ID-JAG (typ JWT)", (client, email) => idJag(client, email, {}, { typ: "JWT" }), "invalid_typ"],
    [
      "issued to another client",
      (client, email) => idJag(client, email, { client_id: "someone-else" }),
      "client_id_mismatch",
    ],
  ];

  it.each(refusals)("%s → 400 invalid_grant, audited with the reason", async (_name, make, reason) => {
    const user = await testUser();
    const client = await confidentialClient();
    const address = freshAddress();
    await expectError(
      await redeem(client, await make(client, user.email), address),
      400,
      "invalid_grant",
      "Invalid assertion",
    );
    const refused = await auditFrom(address, "enterprise_assertion_refused");
    expect(refused).toMatchObject({ outcome: "refused", detail: reason });
    expect(await listGrants(env.OAUTH_KV, user.id)).toEqual([]);
  });

  it("replayed (single use): the second redemption of one assertion → 400 invalid_grant", async () => {
    const user = await testUser();
    const client = await confidentialClient();
    const assertion = await idJag(client, user.email);
    expect((await redeem(client, assertion, freshAddress())).status).toBe(200);
    const address = freshAddress();
    await expectError(await redeem(client, assertion, address), 400, "invalid_grant", "Invalid assertion");
    expect(await auditFrom(address, "enterprise_assertion_refused")).toMatchObject({ detail: "replayed" });
    expect(await listGrants(env.OAUTH_KV, user.id)).toHaveLength(1);
  });

  it("an unknown user (no account with that email) → 400 invalid_grant; no account is created", async () => {
    const client = await confidentialClient();
    const address = freshAddress();
    const email = `nobody-${crypto.randomUUID()}@example.com`;
    const response = await redeem(client, await idJag(client, email), address);
    await expectError(response, 400, "invalid_grant", "Assertion was not authorized");
    expect(await auditFrom(address, "enterprise_assertion_refused")).toMatchObject({
      clientId: client.clientId,
      userId: null,
      detail: "unknown_user",
    });
    const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM users WHERE email = ?")
      .bind(email)
      .first<{ n: number }>();
    expect(row?.n).toBe(0);
  });

  it("a disabled user → 400 invalid_grant", async () => {
    const user = await testUser();
    await setDisabled(env.DB, user.id, true);
    const client = await confidentialClient();
    const address = freshAddress();
    const response = await redeem(client, await idJag(client, user.email), address);
    await expectError(response, 400, "invalid_grant", "Assertion was not authorized");
    expect(await auditFrom(address, "enterprise_assertion_refused")).toMatchObject({
      userId: user.id,
      detail: "user_disabled",
    });
    expect(await listGrants(env.OAUTH_KV, user.id)).toEqual([]);
  });

  it.each([
    ["email_verified false", { email_verified: false }],
    ["no email_verified", { email_verified: undefined }],
    ["no email", { email: undefined }],
  ])("%s: the email names nobody → 400 invalid_grant", async (_name, claims) => {
    const user = await testUser();
    const client = await confidentialClient();
    const address = freshAddress();
    const response = await redeem(client, await idJag(client, user.email, claims), address);
    await expectError(response, 400, "invalid_grant", "Assertion was not authorized");
    expect(await auditFrom(address, "enterprise_assertion_refused")).toMatchObject({ detail: "no_verified_email" });
  });

  it("a public client → 401 invalid_client: the grant needs client authentication", async () => {
    const user = await testUser();
    const register = await call("/register", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        client_name: "public agent",
        redirect_uris: ["https://agent.example/callback"],
        token_endpoint_auth_method: "none",
      }),
    });
    const clientId = (await register.json<{ client_id: string }>()).client_id;
    const assertion = await idJag({ clientId, clientSecret: "" }, user.email);
    const response = await call("/token", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: JWT_BEARER, assertion, client_id: clientId }).toString(),
    });
    await expectError(
      response,
      401,
      "invalid_client",
      "Enterprise-managed authorization requires client authentication",
    );
  });
});

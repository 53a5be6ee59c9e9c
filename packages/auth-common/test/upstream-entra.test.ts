import { describe, expect, it } from "vitest";
import { upstreamClient, type UpstreamConfig } from "../src/upstream/index.ts";
import { thrown } from "./helpers.ts";
import {
  ACCESS_TOKEN,
  CLIENT_ID,
  CLIENT_SECRET,
  FakeOidcProvider,
  REDIRECT_URI,
  REFRESH_TOKEN,
  STATE,
  T0,
  expectUpstreamError,
  formOf,
  startSignIn,
} from "./upstream-fakes.ts";

const ENTRA = "https://login.microsoftonline.com";
const HOME = "9f7c3e2a-1b4d-4c6e-8a0f-2d3b4c5d6e7f";
const PARTNER = "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d";
const STRANGER = "deadbeef-0000-4000-8000-000000000001";
const tenantIssuer = (tid: string) => `${ENTRA}/${tid}/v2.0`;

/** An Entra look-alike: `{tenant}/v2.0` discovery, the `{tenantid}` template for multi-tenant. */
async function setup(tenant: string, overrides: Partial<UpstreamConfig> = {}, userTenant = HOME) {
  const multiTenant = tenant === "organizations" || tenant === "common";
  const idp = await FakeOidcProvider.create(
    `${ENTRA}/${tenant}/v2.0`,
    multiTenant ? `${ENTRA}/{tenantid}/v2.0` : tenantIssuer(tenant),
  );
  Object.assign(idp.metadata, {
    authorization_endpoint: `${ENTRA}/${tenant}/oauth2/v2.0/authorize`,
    token_endpoint: `${ENTRA}/${tenant}/oauth2/v2.0/token`,
    jwks_uri: `${ENTRA}/${tenant}/discovery/v2.0/keys`,
    userinfo_endpoint: "https://graph.microsoft.com/oidc/userinfo",
    token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
  });
  idp.claims = {
    ...idp.claims,
    iss: tenantIssuer(userTenant),
    tid: userTenant,
    sub: "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
    oid: "00000000-0000-0000-66f3-3332eca7ea81",
    name: "Ada Lovelace",
    preferred_username: "ada@contoso.example",
    email: "ada@contoso.example",
  };
  const client = upstreamClient({
    kind: "entra",
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    entraTenant: tenant,
    fetch: idp.fetch,
    now: () => T0,
    ...overrides,
  });
  return { idp, client, ...(await startSignIn(idp, client)) };
}

describe("entra preset: single tenant", () => {
  it("discovers the tenant's v2.0 issuer and signs the user in with the exact issuer", async () => {
    const { idp, url, pending, finish } = await setup(HOME);
    expect(idp.callsTo("discovery")[0]?.url).toBe(`${ENTRA}/${HOME}/v2.0/.well-known/openid-configuration`);
    expect(url.origin + url.pathname).toBe(`${ENTRA}/${HOME}/oauth2/v2.0/authorize`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      scope: "openid profile email offline_access",
      nonce: pending.nonce,
      code_challenge_method: "S256",
      state: STATE,
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT_URI,
    });
    expect(await finish()).toEqual({
      subject: "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
      // Entra's email claim is not verified: the name is shown, never the email.
      displayName: "Ada Lovelace",
      issuer: tenantIssuer(HOME),
      tokens: { accessToken: ACCESS_TOKEN, refreshToken: REFRESH_TOKEN, expiresAt: T0 + 3600 },
    });
    expect(formOf(idp.callsTo("token")[0]).get("client_secret")).toBe(CLIENT_SECRET);
  });

  it("an unverified email is never the display name", async () => {
    const { idp, finish } = await setup(HOME);
    delete idp.claims.name;
    expect((await finish()).displayName).toBeUndefined();
  });

  it("refuses an ID token from another tenant's issuer, even with a matching tid", async () => {
    const { idp, finish } = await setup(HOME);
    idp.claims = { ...idp.claims, iss: tenantIssuer(PARTNER), tid: PARTNER };
    await expectUpstreamError(
      finish(),
      "invalid_response",
      'The identity provider\'s ID token has the wrong "iss" claim.',
    );
  });

  it("refuses a discovery document that names another tenant", async () => {
    const idp = await FakeOidcProvider.create(`${ENTRA}/${HOME}/v2.0`, tenantIssuer(PARTNER));
    const client = upstreamClient({
      kind: "entra",
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      entraTenant: HOME.toUpperCase(),
      fetch: idp.fetch,
    });
    await expectUpstreamError(
      client.start({ redirectUri: REDIRECT_URI, state: STATE }),
      "invalid_response",
      "The identity provider's metadata names a different issuer than configured.",
    );
    expect(idp.callsTo("discovery")[0]?.url).toBe(`${ENTRA}/${HOME}/v2.0/.well-known/openid-configuration`);
  });

  it("refuses wrong audience, nonce and expiry; error=access_denied is access_denied", async () => {
    for (const [claims, reason] of [
      [{ aud: "api://other" }, 'The identity provider\'s ID token has the wrong "aud" claim.'],
      [{ nonce: "other" }, 'The identity provider\'s ID token has the wrong "nonce" claim.'],
      [{ exp: T0 - 120 }, "The identity provider's ID token has expired."],
    ] as const) {
      const { idp, finish } = await setup(HOME);
      idp.claims = { ...idp.claims, ...claims };
      await expectUpstreamError(finish(), "invalid_response", reason);
    }
    const { finish } = await setup(HOME);
    await expectUpstreamError(
      finish({ error: "access_denied", error_description: "AADSTS65004: User declined to consent", state: STATE }),
      "access_denied",
      "The identity provider did not sign the user in (error=access_denied).",
    );
  });
});

describe("entra preset: organizations / common", () => {
  it("refuses multi-tenant without an allow-list, and malformed tenants, at construction", () => {
    const base = { kind: "entra", clientId: CLIENT_ID, clientSecret: CLIENT_SECRET } as const;
    for (const entraTenant of ["organizations", "common", "Common"]) {
      const error = thrown(() => upstreamClient({ ...base, entraTenant }));
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toContain("entraAllowedTenants");
    }
    for (const config of [
      { entraTenant: "contoso.onmicrosoft.com" },
      { entraTenant: "consumers" },
      {},
      { entraTenant: "common", entraAllowedTenants: [] },
      { entraTenant: "common", entraAllowedTenants: ["contoso"] },
      { entraTenant: HOME, entraAllowedTenants: [PARTNER] },
    ]) {
      expect(thrown(() => upstreamClient({ ...base, ...config }))).toBeInstanceOf(TypeError);
    }
  });

  it("validates the ID token against its own tenant's issuer and admits an allowed tenant", async () => {
    const { idp, finish } = await setup(
      "organizations",
      { entraAllowedTenants: [HOME, PARTNER.toUpperCase()] },
      PARTNER,
    );
    expect(idp.callsTo("discovery")[0]?.url).toBe(`${ENTRA}/organizations/v2.0/.well-known/openid-configuration`);
    const user = await finish();
    expect(user.issuer).toBe(tenantIssuer(PARTNER));
    expect(user.subject).toBe("AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ");
  });

  it("refuses a tenant that is not in the allow-list with access_denied", async () => {
    const { finish } = await setup("common", { entraAllowedTenants: [HOME] }, STRANGER);
    await expectUpstreamError(
      finish(),
      "access_denied",
      "The Microsoft account's tenant is not allowed to sign in here.",
    );
  });

  it("refuses an iss that does not match the token's own tid", async () => {
    const { idp, finish } = await setup("organizations", { entraAllowedTenants: [HOME, PARTNER] });
    // Signed for tenant HOME's issuer but claiming to be PARTNER's user: never mix the two.
    idp.claims = { ...idp.claims, iss: tenantIssuer(HOME), tid: PARTNER };
    await expectUpstreamError(
      finish(),
      "invalid_response",
      'The identity provider\'s ID token has the wrong "iss" claim.',
    );
    // The template itself is never an acceptable issuer.
    const template = await setup("organizations", { entraAllowedTenants: [HOME] });
    template.idp.claims = { ...template.idp.claims, iss: `${ENTRA}/{tenantid}/v2.0` };
    await expectUpstreamError(
      template.finish(),
      "invalid_response",
      'The identity provider\'s ID token has the wrong "iss" claim.',
    );
  });

  it("refuses an ID token without a well-formed tid", async () => {
    for (const tid of [undefined, "not-a-guid", HOME.toUpperCase()]) {
      const { idp, finish } = await setup("organizations", { entraAllowedTenants: [HOME] });
      idp.claims = { ...idp.claims, tid };
      if (tid === undefined) delete idp.claims.tid;
      await expectUpstreamError(
        finish(),
        "invalid_response",
        "The identity provider's ID token has no valid tenant id (tid).",
      );
    }
  });

  it("refuses a discovery document that does not name the {tenantid} template", async () => {
    const idp = await FakeOidcProvider.create(`${ENTRA}/organizations/v2.0`, `${ENTRA}/organizations/v2.0`);
    const client = upstreamClient({
      kind: "entra",
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      entraTenant: "organizations",
      entraAllowedTenants: [HOME],
      fetch: idp.fetch,
    });
    await expectUpstreamError(
      client.start({ redirectUri: REDIRECT_URI, state: STATE }),
      "invalid_response",
      "The identity provider's metadata names a different issuer than configured.",
    );
  });

  it("refresh: validates a returned ID token per tenant; invalid_grant is invalid_grant", async () => {
    const { idp, client } = await setup("organizations", { entraAllowedTenants: [HOME] });
    delete idp.claims.nonce;
    idp.token = async () => idp.tokenResponse({ access_token: "renewed", refresh_token: "rotated-rt" });
    expect(await client.refresh(REFRESH_TOKEN)).toEqual({
      accessToken: "renewed",
      refreshToken: "rotated-rt",
      expiresAt: T0 + 3600,
    });
    idp.token = async () => idp.tokenResponse({ access_token: "renewed" }, { iss: tenantIssuer(PARTNER) });
    await expectUpstreamError(
      client.refresh(REFRESH_TOKEN),
      "invalid_response",
      'The identity provider\'s ID token has the wrong "iss" claim.',
    );
    idp.token = () =>
      Response.json(
        { error: "invalid_grant", error_description: "AADSTS700082: The refresh token has expired" },
        { status: 400 },
      );
    await expectUpstreamError(
      client.refresh(REFRESH_TOKEN),
      "invalid_grant",
      "The identity provider no longer honours the refresh token (HTTP 400, error=invalid_grant).",
    );
    idp.token = () => new Response("", { status: 504 });
    await expectUpstreamError(
      client.refresh(REFRESH_TOKEN),
      "temporarily_unavailable",
      "The identity provider's endpoint answered HTTP 504.",
    );
  });
});

describe("entra preset: revalidate (every downstream refresh)", () => {
  const SUBJECT = "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ";

  it("refreshes (the ID token per tenant, same subject); another subject or invalid_grant → invalid_grant", async () => {
    const { idp, client } = await setup("organizations", { entraAllowedTenants: [HOME] });
    delete idp.claims.nonce;
    const grant = { subject: SUBJECT, tokens: { accessToken: ACCESS_TOKEN, refreshToken: REFRESH_TOKEN } };
    idp.token = async () => idp.tokenResponse({ access_token: "renewed", refresh_token: "rotated-rt" });
    expect(await client.revalidate(grant)).toEqual({
      accessToken: "renewed",
      refreshToken: "rotated-rt",
      expiresAt: T0 + 3600,
    });
    idp.token = async () => idp.tokenResponse({ access_token: "renewed" }, { sub: "another-user" });
    await expectUpstreamError(
      client.revalidate(grant),
      "invalid_grant",
      "The identity provider's refreshed ID token names another subject.",
    );
    idp.token = () =>
      Response.json(
        {
          error: "invalid_grant",
          error_description: "AADSTS50173: The provided grant has expired due to it being revoked",
        },
        { status: 400 },
      );
    await expectUpstreamError(
      client.revalidate(grant),
      "invalid_grant",
      "The identity provider no longer honours the refresh token (HTTP 400, error=invalid_grant).",
    );
    expect(idp.callsTo("userinfo")).toHaveLength(0);
  });

  it("without a refresh token: Microsoft Graph's UserInfo decides (401 → invalid_grant)", async () => {
    const { idp, client } = await setup(HOME);
    const grant = { subject: SUBJECT, tokens: { accessToken: ACCESS_TOKEN } };
    idp.userinfo = () => Response.json({ sub: SUBJECT, name: "Ada Lovelace" });
    expect(await client.revalidate(grant)).toEqual(grant.tokens);
    expect(idp.callsTo("userinfo")[0]?.url).toBe("https://graph.microsoft.com/oidc/userinfo");
    idp.userinfo = () =>
      new Response(null, { status: 401, headers: { "www-authenticate": 'Bearer error="invalid_token"' } });
    await expectUpstreamError(
      client.revalidate(grant),
      "invalid_grant",
      "The identity provider no longer honours the access token (HTTP 401, error=challenge).",
    );
  });
});

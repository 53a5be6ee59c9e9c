import { describe, expect, it } from "vitest";
import { upstreamClient, type UpstreamConfig } from "../src/upstream/index.ts";
import { thrown } from "./helpers.ts";
import {
  ACCESS_TOKEN,
  CLIENT_ID,
  CLIENT_SECRET,
  CODE,
  FakeOidcProvider,
  NEW_REFRESH_TOKEN,
  REDIRECT_URI,
  REFRESH_TOKEN,
  STATE,
  T0,
  expectUpstreamError,
  formOf,
  startSignIn,
  networkFailure,
} from "./upstream-fakes.ts";

const GOOGLE = "https://accounts.google.com";

/** A Google look-alike: its real endpoint layout, and ID tokens shaped like Google's. */
async function setup(overrides: Partial<UpstreamConfig> = {}) {
  const idp = await FakeOidcProvider.create(GOOGLE);
  Object.assign(idp.metadata, {
    authorization_endpoint: "https://accounts.google.com/o/oauth2/v2/auth",
    token_endpoint: "https://oauth2.googleapis.com/token",
    jwks_uri: "https://www.googleapis.com/oauth2/v3/certs",
    userinfo_endpoint: "https://openidconnect.googleapis.com/v1/userinfo",
    token_endpoint_auth_methods_supported: ["client_secret_post", "client_secret_basic"],
  });
  idp.claims = {
    ...idp.claims,
    sub: "110169484474386276334",
    azp: CLIENT_ID,
    email: "ada@example.com",
    email_verified: true,
    name: "Ada Lovelace",
  };
  const client = upstreamClient({
    kind: "google",
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    fetch: idp.fetch,
    now: () => T0,
    ...overrides,
  });
  return { idp, client, ...(await startSignIn(idp, client)) };
}

describe("google preset", () => {
  it("discovers accounts.google.com and asks for offline access with PKCE and a nonce", async () => {
    const { idp, url, pending } = await setup();
    expect(idp.callsTo("discovery")[0]?.url).toBe(`${GOOGLE}/.well-known/openid-configuration`);
    expect(url.origin + url.pathname).toBe("https://accounts.google.com/o/oauth2/v2/auth");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      access_type: "offline",
      response_type: "code",
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT_URI,
      scope: "openid email profile",
      state: STATE,
      nonce: pending.nonce,
      code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) as string,
      code_challenge_method: "S256",
    });
  });

  it("signs the user in: sub as subject, Google as issuer, the secret in the body", async () => {
    const { idp, finish, pending } = await setup();
    expect(await finish()).toEqual({
      subject: "110169484474386276334",
      displayName: "Ada Lovelace",
      issuer: GOOGLE,
      tokens: { accessToken: ACCESS_TOKEN, refreshToken: REFRESH_TOKEN, expiresAt: T0 + 3600 },
    });
    const [tokenCall] = idp.callsTo("token");
    expect(tokenCall?.url).toBe("https://oauth2.googleapis.com/token");
    expect(tokenCall?.headers.get("authorization")).toBeNull();
    expect(Object.fromEntries(formOf(tokenCall))).toEqual({
      grant_type: "authorization_code",
      code: CODE,
      code_verifier: pending.codeVerifier,
      redirect_uri: REDIRECT_URI,
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
    });
  });

  it("an unverified email is never the display name", async () => {
    const { idp, finish } = await setup();
    idp.claims = { ...idp.claims, name: undefined, email_verified: false };
    delete idp.claims.name;
    const user = await finish();
    expect(user.displayName).toBeUndefined();
    expect(user.subject).toBe("110169484474386276334");
  });

  it("sends hd as a hint and admits only ID tokens whose hd claim matches", async () => {
    const { url, idp, finish } = await setup({ googleHostedDomain: "Example.com" });
    expect(url.searchParams.get("hd")).toBe("example.com");
    idp.claims = { ...idp.claims, hd: "example.com" };
    expect((await finish()).subject).toBe("110169484474386276334");
  });

  it("refuses a different or missing hd claim when a hosted domain is configured", async () => {
    const other = await setup({ googleHostedDomain: "example.com" });
    other.idp.claims = { ...other.idp.claims, hd: "evil.example" };
    await expectUpstreamError(
      other.finish(),
      "access_denied",
      "The Google account belongs to a different Workspace domain.",
    );
    // A consumer account (gmail.com) has no hd claim, whatever the hint said.
    const consumer = await setup({ googleHostedDomain: "example.com" });
    await expectUpstreamError(
      consumer.finish(),
      "access_denied",
      "The Google account does not belong to the required Workspace domain.",
    );
  });

  it("refuses a wrong state, another audience, the wrong nonce and an expired ID token", async () => {
    const wrongState = await setup();
    await expectUpstreamError(
      wrongState.finish({ code: CODE, state: "forged" }),
      "invalid_response",
      'The identity provider\'s answer failed validation: unexpected "state" response parameter value',
    );
    for (const [claims, reason] of [
      [
        { aud: "another-client", azp: "another-client" },
        'The identity provider\'s ID token has the wrong "aud" claim.',
      ],
      [{ nonce: "other" }, 'The identity provider\'s ID token has the wrong "nonce" claim.'],
      [{ exp: T0 - 60, iat: T0 - 3660 }, "The identity provider's ID token has expired."],
      [{ iss: "accounts.google.com" }, 'The identity provider\'s ID token has the wrong "iss" claim.'],
    ] as const) {
      const { idp, finish } = await setup();
      idp.claims = { ...idp.claims, ...claims };
      await expectUpstreamError(finish(), "invalid_response", reason);
    }
  });

  it("error=access_denied on the callback is access_denied", async () => {
    const { idp, finish } = await setup();
    await expectUpstreamError(
      finish({ error: "access_denied", state: STATE }),
      "access_denied",
      "The identity provider did not sign the user in (error=access_denied).",
    );
    expect(idp.callsTo("token")).toHaveLength(0);
  });

  it("refresh: keeps the refresh token Google does not rotate, takes one it does", async () => {
    const { idp, client } = await setup();
    idp.token = async () => idp.tokenResponse({ access_token: "fresh", refresh_token: undefined, expires_in: 3599 });
    expect(await client.refresh(REFRESH_TOKEN)).toEqual({
      accessToken: "fresh",
      refreshToken: REFRESH_TOKEN,
      expiresAt: T0 + 3599,
    });
    idp.token = () =>
      Response.json({ access_token: "fresher", token_type: "Bearer", refresh_token: NEW_REFRESH_TOKEN });
    expect(await client.refresh(REFRESH_TOKEN)).toEqual({ accessToken: "fresher", refreshToken: NEW_REFRESH_TOKEN });
    expect(formOf(idp.callsTo("token").at(-1)).get("client_secret")).toBe(CLIENT_SECRET);
  });

  it("refresh: a revoked grant is invalid_grant; an outage is temporarily_unavailable", async () => {
    const { idp, client } = await setup();
    idp.token = () =>
      Response.json(
        { error: "invalid_grant", error_description: "Token has been expired or revoked." },
        { status: 400 },
      );
    await expectUpstreamError(
      client.refresh(REFRESH_TOKEN),
      "invalid_grant",
      "The identity provider no longer honours the refresh token (HTTP 400, error=invalid_grant).",
    );
    idp.token = () => new Response("", { status: 503 });
    await expectUpstreamError(
      client.refresh(REFRESH_TOKEN),
      "temporarily_unavailable",
      "The identity provider's endpoint answered HTTP 503.",
    );
    idp.token = networkFailure;
    await expectUpstreamError(
      client.refresh(REFRESH_TOKEN),
      "temporarily_unavailable",
      "The identity provider could not be reached.",
    );
  });

  it("revalidate: refreshes when Google gave a refresh token; a revoked one (invalid_grant) is invalid_grant", async () => {
    const { idp, client } = await setup();
    const grant = {
      subject: "110169484474386276334",
      tokens: { accessToken: ACCESS_TOKEN, refreshToken: REFRESH_TOKEN },
    };
    idp.token = () => Response.json({ access_token: "fresh", token_type: "Bearer", expires_in: 3599 });
    expect(await client.revalidate(grant)).toEqual({
      accessToken: "fresh",
      refreshToken: REFRESH_TOKEN,
      expiresAt: T0 + 3599,
    });
    idp.token = () =>
      Response.json(
        { error: "invalid_grant", error_description: "Token has been expired or revoked." },
        { status: 400 },
      );
    await expectUpstreamError(
      client.revalidate(grant),
      "invalid_grant",
      "The identity provider no longer honours the refresh token (HTTP 400, error=invalid_grant).",
    );
    expect(idp.callsTo("userinfo")).toHaveLength(0);
  });

  it("revalidate without a refresh token (Google sends one only at first consent): UserInfo decides", async () => {
    const { idp, client } = await setup();
    const grant = { subject: "110169484474386276334", tokens: { accessToken: ACCESS_TOKEN, expiresAt: T0 + 3599 } };
    idp.userinfo = (call) =>
      call.headers.get("authorization") === `Bearer ${ACCESS_TOKEN}`
        ? Response.json({ sub: "110169484474386276334", email: "ada@example.com" })
        : new Response(null, { status: 401 });
    expect(await client.revalidate(grant)).toEqual(grant.tokens);
    expect(idp.callsTo("userinfo")[0]?.url).toBe("https://openidconnect.googleapis.com/v1/userinfo");
    idp.userinfo = () =>
      new Response(null, { status: 401, headers: { "www-authenticate": 'Bearer error="invalid_token"' } });
    await expectUpstreamError(
      client.revalidate(grant),
      "invalid_grant",
      "The identity provider no longer honours the access token (HTTP 401, error=challenge).",
    );
    idp.userinfo = () => new Response("", { status: 503 });
    await expectUpstreamError(
      client.revalidate(grant),
      "temporarily_unavailable",
      "The identity provider's endpoint answered HTTP 503.",
    );
  });

  it("refuses a malformed hosted domain and an issuer override at construction", () => {
    const base = { kind: "google", clientId: CLIENT_ID, clientSecret: CLIENT_SECRET } as const;
    expect(thrown(() => upstreamClient({ ...base, googleHostedDomain: "not a domain" }))).toBeInstanceOf(TypeError);
    expect(thrown(() => upstreamClient({ ...base, issuer: "https://evil.example" }))).toBeInstanceOf(TypeError);
  });
});

import { describe, expect, it } from "vitest";
import { UpstreamError, upstreamClient, type UpstreamConfig, type UpstreamPending } from "../src/upstream/index.ts";
import { rsaKey } from "./fakes.ts";
import { rejected, thrown } from "./helpers.ts";
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
  callback,
  expectNoSecrets,
  expectUpstreamError,
  formOf,
  hangUntilAborted,
  networkFailure,
  startSignIn,
  withoutUndefined,
} from "./upstream-fakes.ts";

const ISSUER = "https://idp.example/realms/mcp";

async function setup(overrides: Partial<UpstreamConfig> = {}, issuer = ISSUER) {
  const idp = await FakeOidcProvider.create(issuer);
  idp.metadata.authorization_response_iss_parameter_supported = true;
  const client = upstreamClient({
    kind: "oidc",
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    issuer,
    fetch: idp.fetch,
    now: () => T0,
    ...overrides,
  });
  return { idp, client };
}

/** Runs start() and returns what the app would keep plus the callback for a successful sign-in. */
async function started(client: Awaited<ReturnType<typeof setup>>["client"], idp: FakeOidcProvider) {
  const signedIn = { code: CODE, state: STATE, iss: String(idp.metadata.issuer) };
  return { ...(await startSignIn(idp, client, signedIn)), ok: callback(signedIn) };
}

describe("oidc preset: start", () => {
  it("builds the authorization URL: PKCE S256, state, nonce, client, redirect, scopes, prompt=consent", async () => {
    const { idp, client } = await setup();
    const { url, pending } = await client.start({ redirectUri: REDIRECT_URI, state: STATE });
    expect(url.origin + url.pathname).toBe(`${ISSUER}/authorize`);
    const params = Object.fromEntries(url.searchParams);
    expect(params).toEqual({
      prompt: "consent",
      response_type: "code",
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT_URI,
      scope: "openid profile email offline_access",
      state: STATE,
      nonce: pending.nonce,
      code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) as string,
      code_challenge_method: "S256",
    });
    expect(pending.codeVerifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(pending.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The challenge is the S256 of the verifier (RFC 7636 §4.2).
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(pending.codeVerifier));
    expect(params.code_challenge).toBe(Buffer.from(digest).toString("base64url"));
    expect(url.href).not.toContain(CLIENT_SECRET);
    expect(idp.callsTo("discovery")).toHaveLength(1);
    expect(idp.callsTo("discovery")[0]?.url).toBe(`${ISSUER}/.well-known/openid-configuration`);
  });

  it("adds configured scopes to the preset's, once each", async () => {
    const { client } = await setup({ scopes: ["groups", "openid"] });
    const { url } = await client.start({ redirectUri: REDIRECT_URI, state: STATE });
    expect(url.searchParams.get("scope")).toBe("openid profile email offline_access groups");
  });

  it("fresh verifier and nonce every time; discovery fetched once, one request in flight", async () => {
    const { idp, client } = await setup();
    const [a, b] = await Promise.all([
      client.start({ redirectUri: REDIRECT_URI, state: STATE }),
      client.start({ redirectUri: REDIRECT_URI, state: STATE }),
    ]);
    await client.start({ redirectUri: REDIRECT_URI, state: STATE });
    expect(a.pending.codeVerifier).not.toBe(b.pending.codeVerifier);
    expect(a.pending.nonce).not.toBe(b.pending.nonce);
    expect(idp.callsTo("discovery")).toHaveLength(1);
  });

  it("a discovery outage is temporarily_unavailable and not cached", async () => {
    const { idp, client } = await setup();
    idp.discovery = () => new Response("down", { status: 503 });
    await expectUpstreamError(
      client.start({ redirectUri: REDIRECT_URI, state: STATE }),
      "temporarily_unavailable",
      "The identity provider's metadata endpoint answered HTTP 503.",
    );
    idp.discovery = networkFailure;
    await expectUpstreamError(
      client.start({ redirectUri: REDIRECT_URI, state: STATE }),
      "temporarily_unavailable",
      "The identity provider could not be reached.",
    );
    idp.discovery = () => Response.json(idp.metadata);
    await expect(client.start({ redirectUri: REDIRECT_URI, state: STATE })).resolves.toBeDefined();
    expect(idp.callsTo("discovery")).toHaveLength(3);
  });

  it("a discovery document naming another issuer is refused (not cached either)", async () => {
    const { idp, client } = await setup();
    idp.metadata.issuer = "https://idp.example/realms/other";
    await expectUpstreamError(
      client.start({ redirectUri: REDIRECT_URI, state: STATE }),
      "invalid_response",
      "The identity provider's metadata names a different issuer than configured.",
    );
    idp.metadata.issuer = ISSUER;
    await expect(client.start({ redirectUri: REDIRECT_URI, state: STATE })).resolves.toBeDefined();
  });

  it("every request carries a timeout: a provider that never answers is temporarily_unavailable", async () => {
    const { idp, client } = await setup({ timeoutSeconds: 0.05 });
    idp.discovery = hangUntilAborted;
    await expectUpstreamError(
      client.start({ redirectUri: REDIRECT_URI, state: STATE }),
      "temporarily_unavailable",
      "The identity provider did not answer within 0.1 s.",
    );
  });

  it("an endless discovery document is cut off and refused", async () => {
    const { idp, client } = await setup();
    idp.discovery = () => new Response("x".repeat(200 * 1024), { headers: { "content-type": "application/json" } });
    await expectUpstreamError(
      client.start({ redirectUri: REDIRECT_URI, state: STATE }),
      "invalid_response",
      "The identity provider's answer is too large.",
    );
  });

  it("refuses the app's own bad inputs with a TypeError", async () => {
    const { client } = await setup();
    expect(await rejected(client.start({ redirectUri: REDIRECT_URI, state: "" }))).toBeInstanceOf(TypeError);
    expect(await rejected(client.start({ redirectUri: "not a url", state: STATE }))).toBeInstanceOf(TypeError);
  });
});

describe("oidc preset: finish", () => {
  it("exchanges the code with PKCE and Basic client auth, validates the ID token, returns the user", async () => {
    const { idp, client } = await setup();
    idp.claims = { ...idp.claims, name: "Ada Lovelace", email: "ada@example.com", email_verified: true };
    const { pending, finish } = await started(client, idp);
    const user = await finish();
    expect(user).toEqual({
      subject: "user-42",
      displayName: "Ada Lovelace",
      issuer: ISSUER,
      tokens: { accessToken: ACCESS_TOKEN, refreshToken: REFRESH_TOKEN, expiresAt: T0 + 3600 },
    });
    const [tokenCall] = idp.callsTo("token");
    expect(tokenCall?.method).toBe("POST");
    expect(Object.fromEntries(formOf(tokenCall))).toEqual({
      grant_type: "authorization_code",
      code: CODE,
      code_verifier: pending.codeVerifier,
      redirect_uri: REDIRECT_URI,
    });
    const basic = tokenCall?.headers.get("authorization") ?? "";
    // RFC 6749 §2.3.1: each half is form-encoded before the Basic encoding.
    const [id, secret] = atob(basic.replace(/^Basic /, "")).split(":");
    expect([decodeURIComponent(id ?? ""), decodeURIComponent(secret ?? "")]).toEqual([CLIENT_ID, CLIENT_SECRET]);
    expect(secret).not.toContain("/");
    expect(tokenCall?.headers.get("accept")).toBe("application/json");
    expect(tokenCall?.signal).toBeInstanceOf(AbortSignal);
    // The ID token's signature was checked against the published keys.
    expect(idp.callsTo("jwks")).toHaveLength(1);
  });

  it("uses client_secret_post when the provider offers only that", async () => {
    const { idp, client } = await setup();
    idp.metadata.token_endpoint_auth_methods_supported = ["private_key_jwt", "client_secret_post"];
    const { finish } = await started(client, idp);
    await finish();
    const [tokenCall] = idp.callsTo("token");
    expect(tokenCall?.headers.get("authorization")).toBeNull();
    expect(formOf(tokenCall).get("client_secret")).toBe(CLIENT_SECRET);
  });

  it("a verified email stands in for a missing name; an unverified one never does", async () => {
    for (const [claims, expected] of [
      [{ email: "ada@example.com", email_verified: true }, "ada@example.com"],
      [{ email: "ada@example.com", email_verified: false }, undefined],
      [{ email: "ada@example.com", email_verified: "true" }, undefined],
      [{ email: "ada@example.com" }, undefined],
      [{ name: "bad\u0000name", email: "ada@example.com", email_verified: true }, "ada@example.com"],
    ] as const) {
      const { idp, client } = await setup();
      idp.claims = { ...idp.claims, ...claims };
      const { finish } = await started(client, idp);
      const user = await finish();
      expect(user.displayName).toBe(expected);
    }
  });

  it("refuses a callback whose state is not the app's", async () => {
    const { idp, client } = await setup();
    const { finish } = await started(client, idp);
    for (const [params, reason] of [
      [
        { code: CODE, state: "other", iss: ISSUER },
        'The identity provider\'s answer failed validation: unexpected "state" response parameter value',
      ],
      [
        { code: CODE, iss: ISSUER },
        'The identity provider\'s answer failed validation: response parameter "state" missing',
      ],
    ] as const) {
      await expectUpstreamError(finish(params), "invalid_response", reason);
    }
    expect(idp.callsTo("token")).toHaveLength(0);
  });

  it("refuses a callback from another issuer, or without iss when the provider advertises it (RFC 9207)", async () => {
    const { idp, client } = await setup();
    const { finish } = await started(client, idp);
    for (const [params, reason] of [
      [
        { code: CODE, state: STATE, iss: "https://evil.example" },
        'The identity provider\'s answer failed validation: unexpected "iss" (issuer) response parameter value',
      ],
      [
        { code: CODE, state: STATE },
        'The identity provider\'s answer failed validation: response parameter "iss" (issuer) missing',
      ],
    ] as const) {
      await expectUpstreamError(finish(params), "invalid_response", reason);
    }
    expect(idp.callsTo("token")).toHaveLength(0);
  });

  it("accepts a callback without iss from a provider that does not advertise RFC 9207", async () => {
    const { idp, client } = await setup();
    delete idp.metadata.authorization_response_iss_parameter_supported;
    const { finish } = await started(client, idp);
    const user = await finish({ code: CODE, state: STATE });
    expect(user.subject).toBe("user-42");
  });

  it("error=access_denied on the callback is access_denied, naming the upstream code only", async () => {
    const { idp, client } = await setup();
    const { finish } = await started(client, idp);
    const error = await expectUpstreamError(
      finish({
        error: "access_denied",
        error_description: `user said no ${CLIENT_SECRET}`,
        state: STATE,
        iss: ISSUER,
      }),
      "access_denied",
      "The identity provider did not sign the user in (error=access_denied).",
    );
    expect(error.reason).not.toContain("user said no");
    await expectUpstreamError(
      finish({ error: `<script>${CODE}</script>`, state: STATE, iss: ISSUER }),
      "access_denied",
      "The identity provider did not sign the user in (error=unrecognized).",
    );
    await expectUpstreamError(
      finish({ error: "temporarily_unavailable", state: STATE, iss: ISSUER }),
      "temporarily_unavailable",
      "The identity provider could not sign the user in right now (error=temporarily_unavailable).",
    );
    expect(idp.callsTo("token")).toHaveLength(0);
  });

  it.each([
    ["another audience", { aud: "someone-else" }, 'The identity provider\'s ID token has the wrong "aud" claim.'],
    ["another issuer", { iss: "https://evil.example" }, 'The identity provider\'s ID token has the wrong "iss" claim.'],
    ["the wrong nonce", { nonce: "replayed-nonce" }, 'The identity provider\'s ID token has the wrong "nonce" claim.'],
    [
      "no nonce",
      { nonce: undefined },
      'The identity provider\'s answer failed validation: JWT "nonce" (nonce) claim missing',
    ],
    ["an expiry in the past", { exp: T0 - 3600, iat: T0 - 7200 }, "The identity provider's ID token has expired."],
    [
      "no expiry",
      { exp: undefined },
      'The identity provider\'s answer failed validation: JWT "exp" (expiration time) claim missing',
    ],
    [
      "no subject",
      { sub: undefined },
      'The identity provider\'s answer failed validation: JWT "sub" (subject) claim missing',
    ],
    [
      "extra audiences without azp",
      { aud: [CLIENT_ID, "other"] },
      'The identity provider\'s ID token has the wrong "aud" claim.',
    ],
  ])("refuses an ID token with %s", async (_label, claims, reason) => {
    const { idp, client } = await setup();
    const { finish } = await started(client, idp);
    idp.claims = withoutUndefined({ ...idp.claims, ...claims });
    await expectUpstreamError(finish(), "invalid_response", reason);
  });

  it("refuses an ID token signed with a key the provider does not publish", async () => {
    const { idp, client } = await setup();
    const { finish } = await started(client, idp);
    const stranger = await rsaKey("key-1");
    idp.token = async () => idp.tokenResponse({ id_token: await idp.idToken({}, stranger) });
    const error = await rejected(finish());
    expect(error).toBeInstanceOf(UpstreamError);
    expect({ code: (error as UpstreamError).code, reason: (error as UpstreamError).reason }).toEqual({
      code: "invalid_response",
      reason: "The identity provider's answer failed validation: JWT signature verification failed",
    });
    expectNoSecrets(error as UpstreamError);
    const unknownKid = await rsaKey("key-2");
    idp.token = async () => idp.tokenResponse({ id_token: await idp.idToken({}, unknownKid) });
    await expectUpstreamError(
      finish(),
      "invalid_response",
      "The identity provider's ID token is signed with a key it does not publish.",
    );
  });

  it("refuses a token response without an ID token", async () => {
    const { idp, client } = await setup();
    const { finish } = await started(client, idp);
    idp.token = () => Response.json({ access_token: ACCESS_TOKEN, token_type: "Bearer" });
    await expectUpstreamError(
      finish(),
      "invalid_response",
      'The identity provider\'s answer failed validation: "response" body "id_token" property must be a string',
    );
  });

  it("a refused code (invalid_grant at exchange) is invalid_response; an outage is temporarily_unavailable", async () => {
    const { idp, client } = await setup();
    const { finish } = await started(client, idp);
    idp.token = () =>
      Response.json({ error: "invalid_grant", error_description: `code ${CODE} was used` }, { status: 400 });
    await expectUpstreamError(
      finish(),
      "invalid_response",
      "The identity provider refused the authorization code (HTTP 400, error=invalid_grant).",
    );
    idp.token = () => new Response("<html>bad gateway</html>", { status: 502 });
    await expectUpstreamError(
      finish(),
      "temporarily_unavailable",
      "The identity provider's endpoint answered HTTP 502.",
    );
    idp.token = networkFailure;
    await expectUpstreamError(finish(), "temporarily_unavailable", "The identity provider could not be reached.");
    idp.token = () => new Response("{not json", { headers: { "content-type": "application/json" } });
    await expectUpstreamError(
      finish(),
      "invalid_response",
      'The identity provider\'s answer failed validation: failed to parse "response" body as JSON',
    );
  });

  it("refuses a subject the identity schema cannot hold", async () => {
    const { idp, client } = await setup();
    const { finish } = await started(client, idp);
    idp.claims = { ...idp.claims, sub: "anonymous" };
    await expectUpstreamError(
      finish(),
      "invalid_response",
      "The identity provider named a subject this server cannot use.",
    );
  });

  it("needs the pending nonce: losing it is the app's bug (TypeError)", async () => {
    const { idp, client } = await setup();
    const { pending, ok } = await started(client, idp);
    const withoutNonce: UpstreamPending = { codeVerifier: pending.codeVerifier };
    expect(
      await rejected(
        client.finish({ callbackUrl: ok, redirectUri: REDIRECT_URI, state: STATE, pending: withoutNonce }),
      ),
    ).toBeInstanceOf(TypeError);
  });
});

describe("oidc preset: refresh", () => {
  it("returns the rotated refresh token and the new expiry", async () => {
    const { idp, client } = await setup();
    idp.token = () =>
      Response.json({
        access_token: "new-access",
        token_type: "Bearer",
        expires_in: 600,
        refresh_token: NEW_REFRESH_TOKEN,
      });
    expect(await client.refresh(REFRESH_TOKEN)).toEqual({
      accessToken: "new-access",
      refreshToken: NEW_REFRESH_TOKEN,
      expiresAt: T0 + 600,
    });
    expect(Object.fromEntries(formOf(idp.callsTo("token")[0]))).toEqual({
      grant_type: "refresh_token",
      refresh_token: REFRESH_TOKEN,
    });
  });

  it("keeps the old refresh token when upstream does not rotate it", async () => {
    const { idp, client } = await setup();
    idp.token = () => Response.json({ access_token: "new-access", token_type: "Bearer" });
    expect(await client.refresh(REFRESH_TOKEN)).toEqual({ accessToken: "new-access", refreshToken: REFRESH_TOKEN });
  });

  it("validates an ID token that comes with the refresh", async () => {
    const { idp, client } = await setup();
    idp.token = async () => idp.tokenResponse({}, { aud: "someone-else" });
    await expectUpstreamError(
      client.refresh(REFRESH_TOKEN),
      "invalid_response",
      'The identity provider\'s ID token has the wrong "aud" claim.',
    );
    idp.token = async () => idp.tokenResponse({}, {});
    expect((await client.refresh(REFRESH_TOKEN)).accessToken).toBe(ACCESS_TOKEN);
  });

  it("invalid_grant, and any other 400/401, means the grant is gone", async () => {
    const { idp, client } = await setup();
    idp.token = () => Response.json({ error: "invalid_grant" }, { status: 400 });
    await expectUpstreamError(
      client.refresh(REFRESH_TOKEN),
      "invalid_grant",
      "The identity provider no longer honours the refresh token (HTTP 400, error=invalid_grant).",
    );
    idp.token = () => Response.json({ error: "invalid_client" }, { status: 401 });
    await expectUpstreamError(
      client.refresh(REFRESH_TOKEN),
      "invalid_grant",
      "The identity provider no longer honours the refresh token (HTTP 401, error=invalid_client).",
    );
  });

  it("an outage (503, 429, server_error, network, timeout) is temporarily_unavailable", async () => {
    const { idp, client } = await setup({ timeoutSeconds: 0.05 });
    idp.token = () => new Response("busy", { status: 503 });
    await expectUpstreamError(
      client.refresh(REFRESH_TOKEN),
      "temporarily_unavailable",
      "The identity provider's endpoint answered HTTP 503.",
    );
    idp.token = () => Response.json({ error: "slow_down" }, { status: 429 });
    await expectUpstreamError(
      client.refresh(REFRESH_TOKEN),
      "temporarily_unavailable",
      "The identity provider's token endpoint is unavailable (HTTP 429, error=slow_down).",
    );
    idp.token = () => Response.json({ error: "server_error" }, { status: 400 });
    await expectUpstreamError(
      client.refresh(REFRESH_TOKEN),
      "temporarily_unavailable",
      "The identity provider's token endpoint is unavailable (HTTP 400, error=server_error).",
    );
    idp.token = networkFailure;
    await expectUpstreamError(
      client.refresh(REFRESH_TOKEN),
      "temporarily_unavailable",
      "The identity provider could not be reached.",
    );
    idp.token = hangUntilAborted;
    await expectUpstreamError(
      client.refresh(REFRESH_TOKEN),
      "temporarily_unavailable",
      "The identity provider did not answer within 0.1 s.",
    );
  });
});

describe("oidc preset: revalidate (every downstream refresh)", () => {
  const SUBJECT = "user-42";

  it("with a refresh token: refreshes upstream and returns the new tokens; UserInfo is not asked", async () => {
    const { idp, client } = await setup();
    idp.token = () =>
      Response.json({
        access_token: "new-access",
        token_type: "Bearer",
        expires_in: 600,
        refresh_token: NEW_REFRESH_TOKEN,
      });
    expect(
      await client.revalidate({ subject: SUBJECT, tokens: { accessToken: ACCESS_TOKEN, refreshToken: REFRESH_TOKEN } }),
    ).toEqual({ accessToken: "new-access", refreshToken: NEW_REFRESH_TOKEN, expiresAt: T0 + 600 });
    expect(idp.callsTo("token")).toHaveLength(1);
    expect(idp.callsTo("userinfo")).toHaveLength(0);
  });

  it("with a refresh token: the user revoked upstream (invalid_grant) → invalid_grant; an outage stays temporary", async () => {
    const { idp, client } = await setup();
    const tokens = { accessToken: ACCESS_TOKEN, refreshToken: REFRESH_TOKEN };
    idp.token = () => Response.json({ error: "invalid_grant" }, { status: 400 });
    await expectUpstreamError(
      client.revalidate({ subject: SUBJECT, tokens }),
      "invalid_grant",
      "The identity provider no longer honours the refresh token (HTTP 400, error=invalid_grant).",
    );
    idp.token = () => new Response("busy", { status: 503 });
    await expectUpstreamError(
      client.revalidate({ subject: SUBJECT, tokens }),
      "temporarily_unavailable",
      "The identity provider's endpoint answered HTTP 503.",
    );
  });

  it("a refreshed ID token naming another subject → invalid_grant", async () => {
    const { idp, client } = await setup();
    idp.token = async () => idp.tokenResponse({}, { sub: "someone-else" });
    await expectUpstreamError(
      client.revalidate({ subject: SUBJECT, tokens: { accessToken: ACCESS_TOKEN, refreshToken: REFRESH_TOKEN } }),
      "invalid_grant",
      "The identity provider's refreshed ID token names another subject.",
    );
  });

  it("without a refresh token: asks UserInfo with the access token, keeps the tokens", async () => {
    const { idp, client } = await setup();
    const tokens = { accessToken: ACCESS_TOKEN, expiresAt: T0 + 3600 };
    expect(await client.revalidate({ subject: SUBJECT, tokens })).toEqual(tokens);
    const [call] = idp.callsTo("userinfo");
    expect(call?.headers.get("authorization")).toBe(`Bearer ${ACCESS_TOKEN}`);
    expect(idp.callsTo("token")).toHaveLength(0);
  });

  it("without a refresh token: UserInfo 401 (revoked), or another sub → invalid_grant; 503 or no answer → temporarily_unavailable", async () => {
    const { idp, client } = await setup({ timeoutSeconds: 0.05 });
    const tokens = { accessToken: ACCESS_TOKEN };
    idp.userinfo = () =>
      new Response(null, { status: 401, headers: { "www-authenticate": 'Bearer error="invalid_token"' } });
    await expectUpstreamError(
      client.revalidate({ subject: SUBJECT, tokens }),
      "invalid_grant",
      "The identity provider no longer honours the access token (HTTP 401, error=challenge).",
    );
    idp.userinfo = () => new Response("no", { status: 401 });
    await expectUpstreamError(
      client.revalidate({ subject: SUBJECT, tokens }),
      "invalid_grant",
      "The identity provider no longer honours the access token (HTTP 401).",
    );
    idp.userinfo = () => Response.json({ sub: "someone-else" });
    await expectUpstreamError(
      client.revalidate({ subject: SUBJECT, tokens }),
      "invalid_grant",
      "The identity provider's UserInfo names another subject.",
    );
    idp.userinfo = () => new Response("busy", { status: 503 });
    await expectUpstreamError(
      client.revalidate({ subject: SUBJECT, tokens }),
      "temporarily_unavailable",
      "The identity provider's endpoint answered HTTP 503.",
    );
    idp.userinfo = hangUntilAborted;
    await expectUpstreamError(
      client.revalidate({ subject: SUBJECT, tokens }),
      "temporarily_unavailable",
      "The identity provider did not answer within 0.1 s.",
    );
  });

  it("a provider without UserInfo and no refresh token: trusted until the access token expires", async () => {
    const { idp, client } = await setup();
    delete idp.metadata.userinfo_endpoint;
    const live = { accessToken: ACCESS_TOKEN, expiresAt: T0 + 1 };
    expect(await client.revalidate({ subject: SUBJECT, tokens: live })).toEqual(live);
    await expectUpstreamError(
      client.revalidate({ subject: SUBJECT, tokens: { accessToken: ACCESS_TOKEN, expiresAt: T0 } }),
      "invalid_grant",
      "The identity provider's access token expired and has no refresh token.",
    );
  });
});

describe("oidc preset: configuration", () => {
  const base = { kind: "oidc", clientId: CLIENT_ID, clientSecret: CLIENT_SECRET } as const;

  it.each<[string, Partial<UpstreamConfig>]>([
    ["no issuer", {}],
    ["a plain-http issuer", { issuer: "http://idp.example" }],
    [
      "plain http on a non-loopback host, even with the opt-in",
      { issuer: "http://10.0.0.1:8791", allowInsecureLoopback: true },
    ],
    ["credentials in the issuer", { issuer: "https://user:pw@idp.example" }],
    ["a query in the issuer", { issuer: "https://idp.example/?tenant=x" }],
    ["an empty client secret", { issuer: ISSUER, clientSecret: "" }],
    ["a scope that is not a scope token", { issuer: ISSUER, scopes: ["bad scope"] }],
    ["a preset field of another provider", { issuer: ISSUER, entraTenant: "common" }],
    ["a zero timeout", { issuer: ISSUER, timeoutSeconds: 0 }],
  ])("refuses %s with a TypeError that names no secret", (_label, overrides) => {
    const error = thrown(() => upstreamClient({ ...base, ...overrides }));
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/^Upstream config: /);
    expect((error as Error).message).not.toContain(CLIENT_SECRET);
  });

  it("signs in against a plain-http loopback issuer (the dev IdP) only with the opt-in", async () => {
    const issuer = "http://127.0.0.1:8791";
    expect(thrown(() => upstreamClient({ ...base, issuer }))).toBeInstanceOf(TypeError);
    const { idp, client } = await setup({ issuer, allowInsecureLoopback: true }, issuer);
    const { finish } = await started(client, idp);
    const user = await finish();
    expect(user.issuer).toBe(issuer);
    expect(idp.callsTo("token")[0]?.url).toBe(`${issuer}/token`);
    expect(await client.refresh(REFRESH_TOKEN)).toMatchObject({ accessToken: ACCESS_TOKEN });
  });

  it("a loopback issuer's metadata may not point plain http elsewhere", async () => {
    const issuer = "http://localhost:8791";
    const { idp, client } = await setup({ issuer, allowInsecureLoopback: true }, issuer);
    idp.metadata.token_endpoint = "http://idp.example/token";
    await expectUpstreamError(
      client.start({ redirectUri: REDIRECT_URI, state: STATE }),
      "invalid_response",
      "The identity provider's token_endpoint must be https or on the loopback issuer's host.",
    );
  });

  it("the opt-in does not relax an https issuer: its metadata's http endpoints are still refused", async () => {
    const { idp, client } = await setup({ allowInsecureLoopback: true });
    idp.metadata.token_endpoint = "http://idp.example/token";
    const { finish } = await started(client, idp);
    const error = await rejected(finish());
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).code).toBe("invalid_response");
    expect(idp.callsTo("token")).toHaveLength(0);
  });
});

import { describe, expect, it } from "vitest";
import { upstreamClient, type UpstreamConfig } from "../src/upstream/index.ts";
import { FakeFetch, type RecordedCall } from "./fakes.ts";
import { thrown } from "./helpers.ts";
import {
  ACCESS_TOKEN,
  CLIENT_ID,
  CLIENT_SECRET,
  CODE,
  NEW_REFRESH_TOKEN,
  REDIRECT_URI,
  REFRESH_TOKEN,
  STATE,
  T0,
  callback,
  expectUpstreamError,
  formOf,
  networkFailure,
  type Answer,
} from "./upstream-fakes.ts";

const TOKEN_URL = "https://github.com/login/oauth/access_token";
const USER_URL = "https://api.github.com/user";

/** GitHub's user API answer for the octocat, trimmed. */
const OCTOCAT = { login: "octocat", id: 583231, node_id: "MDQ6VXNlcjU4MzIzMQ==", name: "The Octocat", type: "User" };

/** A GitHub look-alike: a scripted token endpoint and user API behind one fake fetch. */
function setup(overrides: Partial<UpstreamConfig> = {}) {
  const answers: { token: Answer; user: Answer; check: Answer } = {
    token: () => Response.json({ access_token: ACCESS_TOKEN, token_type: "bearer", scope: "read:user" }),
    user: () => Response.json(OCTOCAT),
    // GitHub's "check a token" answer, trimmed: the authorization, with its user.
    check: () => Response.json({ id: 1, app: { client_id: CLIENT_ID }, scopes: ["read:user"], user: OCTOCAT }),
  };
  const fake = new FakeFetch((call) => {
    if (call.url.endsWith("/login/oauth/access_token")) return answers.token(call);
    if (call.url.endsWith(`/applications/${CLIENT_ID}/token`)) return answers.check(call);
    if (call.url.endsWith("/user")) return answers.user(call);
    return new Response("not found", { status: 404 });
  });
  const client = upstreamClient({
    kind: "github",
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    fetch: fake.fetch,
    now: () => T0,
    ...overrides,
  });
  const calls = (suffix: string): RecordedCall[] => fake.calls.filter((call) => call.url.endsWith(suffix));
  return { answers, fake, client, calls };
}

async function started(client: ReturnType<typeof setup>["client"]) {
  const { url, pending } = await client.start({ redirectUri: REDIRECT_URI, state: STATE });
  const finish = (params: Record<string, string> = { code: CODE, state: STATE }) =>
    client.finish({ callbackUrl: callback(params), redirectUri: REDIRECT_URI, state: STATE, pending });
  return { url, pending, finish };
}

describe("github preset: start", () => {
  it("prepare() before the state exists, authorizationUrl() after: the URL carries that verifier's challenge", async () => {
    const { client } = setup();
    const pending = client.prepare();
    expect(pending.codeVerifier.length).toBeGreaterThanOrEqual(43);
    const url = await client.authorizationUrl({ redirectUri: REDIRECT_URI, state: "made-later", pending });
    const digest = new Uint8Array(
      await crypto.subtle.digest("SHA-256", new TextEncoder().encode(pending.codeVerifier)),
    );
    const challenge = btoa(String.fromCharCode(...digest))
      .replaceAll("+", "-")
      .replaceAll("/", "_")
      .replace(/=+$/, "");
    expect(url.searchParams.get("code_challenge")).toBe(challenge);
    expect(url.searchParams.get("state")).toBe("made-later");
    expect(await client.authorizationOrigin()).toBe("https://github.com");
  });

  it("sends the browser to GitHub with PKCE S256, state, client, redirect and read:user — no nonce", async () => {
    const { client, fake } = setup();
    const { url, pending } = await client.start({ redirectUri: REDIRECT_URI, state: STATE });
    expect(url.origin + url.pathname).toBe("https://github.com/login/oauth/authorize");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: "code",
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT_URI,
      scope: "read:user",
      state: STATE,
      code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) as string,
      code_challenge_method: "S256",
    });
    expect(pending.nonce).toBeUndefined();
    expect(fake.calls).toHaveLength(0);
  });
});

describe("github preset: finish", () => {
  it("exchanges the code (JSON accepted, PKCE, secret in the body) and reads the user by numeric id", async () => {
    const { client, calls } = setup();
    const { pending, finish } = await started(client);
    expect(await finish()).toEqual({
      subject: "583231",
      displayName: "octocat",
      issuer: "https://github.com",
      tokens: { accessToken: ACCESS_TOKEN },
    });
    const [tokenCall] = calls("/login/oauth/access_token");
    expect(tokenCall?.url).toBe(TOKEN_URL);
    expect(tokenCall?.method).toBe("POST");
    expect(tokenCall?.headers.get("accept")).toBe("application/json");
    expect(Object.fromEntries(formOf(tokenCall))).toEqual({
      grant_type: "authorization_code",
      code: CODE,
      code_verifier: pending.codeVerifier,
      redirect_uri: REDIRECT_URI,
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
    });
    const [userCall] = calls("/user");
    expect(userCall?.url).toBe(USER_URL);
    expect(userCall?.method).toBe("GET");
    expect(userCall?.headers.get("authorization")).toBe(`Bearer ${ACCESS_TOKEN}`);
    expect(userCall?.headers.get("accept")).toBe("application/vnd.github+json");
    expect(userCall?.headers.get("user-agent")).toBe("mcp-auth-upstream");
    expect(userCall?.signal).toBeInstanceOf(AbortSignal);
  });

  it("keeps an expiring GitHub App token's refresh token and expiry", async () => {
    const { client, answers } = setup();
    answers.token = () =>
      Response.json({
        access_token: ACCESS_TOKEN,
        token_type: "bearer",
        expires_in: 28800,
        refresh_token: REFRESH_TOKEN,
        refresh_token_expires_in: 15811200,
        scope: "",
      });
    const { finish } = await started(client);
    expect((await finish()).tokens).toEqual({
      accessToken: ACCESS_TOKEN,
      refreshToken: REFRESH_TOKEN,
      expiresAt: T0 + 28800,
    });
  });

  it("GitHub's errors-as-HTTP-200 on code exchange are invalid_response naming GitHub's code", async () => {
    for (const error of ["bad_verification_code", "incorrect_client_credentials", "redirect_uri_mismatch"]) {
      const { client, answers, calls } = setup();
      answers.token = () =>
        Response.json({
          error,
          error_description: `The code passed is incorrect or expired: ${CODE} ${CLIENT_SECRET}`,
          error_uri: "https://docs.github.com/apps/troubleshooting",
        });
      const { finish } = await started(client);
      await expectUpstreamError(
        finish(),
        "invalid_response",
        `GitHub refused the authorization code (error=${error}).`,
      );
      expect(calls("/user")).toHaveLength(0);
    }
  });

  it("refuses a callback with the wrong or no state; error=access_denied is access_denied", async () => {
    const { client, calls } = setup();
    const { finish } = await started(client);
    await expectUpstreamError(
      finish({ code: CODE, state: "forged" }),
      "invalid_response",
      'The identity provider\'s answer failed validation: unexpected "state" response parameter value',
    );
    await expectUpstreamError(
      finish({ code: CODE }),
      "invalid_response",
      'The identity provider\'s answer failed validation: response parameter "state" missing',
    );
    await expectUpstreamError(
      finish({
        error: "access_denied",
        error_description: "The user has denied your application access.",
        error_uri: "https://docs.github.com/apps/troubleshooting",
        state: STATE,
      }),
      "access_denied",
      "The identity provider did not sign the user in (error=access_denied).",
    );
    // GitHub sends no iss; one that is present must still be GitHub.
    await expectUpstreamError(
      finish({ code: CODE, state: STATE, iss: "https://evil.example" }),
      "invalid_response",
      'The identity provider\'s answer failed validation: unexpected "iss" (issuer) response parameter value',
    );
    expect(calls("/login/oauth/access_token")).toHaveLength(0);
  });

  it("a token endpoint outage is temporarily_unavailable", async () => {
    const { client, answers } = setup();
    const { finish } = await started(client);
    answers.token = () => new Response("unicorn", { status: 503 });
    await expectUpstreamError(
      finish(),
      "temporarily_unavailable",
      "The identity provider's endpoint answered HTTP 503.",
    );
    answers.token = networkFailure;
    await expectUpstreamError(finish(), "temporarily_unavailable", "The identity provider could not be reached.");
  });

  it("the user API: a refusal is invalid_response, an outage or rate limit temporarily_unavailable", async () => {
    const { client, answers } = setup();
    const { finish } = await started(client);
    answers.user = () => Response.json({ message: "Bad credentials" }, { status: 401 });
    await expectUpstreamError(
      finish(),
      "invalid_response",
      "GitHub's user API refused the new access token (HTTP 401).",
    );
    answers.user = () =>
      Response.json({ message: "API rate limit exceeded" }, { status: 403, headers: { "x-ratelimit-remaining": "0" } });
    await expectUpstreamError(finish(), "temporarily_unavailable", "GitHub's user API is unavailable (HTTP 403).");
    answers.user = () => new Response("", { status: 502 });
    await expectUpstreamError(finish(), "temporarily_unavailable", "GitHub's user API is unavailable (HTTP 502).");
    answers.user = networkFailure;
    await expectUpstreamError(finish(), "temporarily_unavailable", "The identity provider could not be reached.");
  });

  it.each([
    ["a string id", { ...OCTOCAT, id: "583231" }],
    ["a missing id", { login: "octocat" }],
    ["a fractional id", { ...OCTOCAT, id: 1.5 }],
    ["no login", { id: 583231 }],
  ])("refuses a user with %s", async (_label, body) => {
    const { client, answers } = setup();
    const { finish } = await started(client);
    answers.user = () => Response.json(body);
    await expectUpstreamError(finish(), "invalid_response", "GitHub's user API answer has no numeric id and login.");
  });

  it("refuses a user API answer that is not JSON", async () => {
    const { client, answers } = setup();
    const { finish } = await started(client);
    answers.user = () => new Response("<html>", { headers: { "content-type": "text/html" } });
    await expectUpstreamError(finish(), "invalid_response", "GitHub's user API answered something other than JSON.");
  });
});

describe("github preset: refresh", () => {
  it("returns the rotated refresh token; keeps the old one when none comes back", async () => {
    const { client, answers, calls } = setup();
    answers.token = () =>
      Response.json({
        access_token: "ghu_new",
        token_type: "bearer",
        expires_in: 28800,
        refresh_token: NEW_REFRESH_TOKEN,
      });
    expect(await client.refresh(REFRESH_TOKEN)).toEqual({
      accessToken: "ghu_new",
      refreshToken: NEW_REFRESH_TOKEN,
      expiresAt: T0 + 28800,
    });
    expect(Object.fromEntries(formOf(calls("/login/oauth/access_token")[0]))).toEqual({
      grant_type: "refresh_token",
      refresh_token: REFRESH_TOKEN,
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
    });
    answers.token = () => Response.json({ access_token: "ghu_newer", token_type: "bearer" });
    expect(await client.refresh(REFRESH_TOKEN)).toEqual({ accessToken: "ghu_newer", refreshToken: REFRESH_TOKEN });
  });

  it("bad_refresh_token (as HTTP 200) is invalid_grant; other 200 errors are invalid_response", async () => {
    const { client, answers } = setup();
    answers.token = () =>
      Response.json({
        error: "bad_refresh_token",
        error_description: "The refresh token passed is incorrect or expired.",
      });
    await expectUpstreamError(
      client.refresh(REFRESH_TOKEN),
      "invalid_grant",
      "GitHub no longer honours the refresh token (error=bad_refresh_token).",
    );
    answers.token = () => Response.json({ error: "incorrect_client_credentials" });
    await expectUpstreamError(
      client.refresh(REFRESH_TOKEN),
      "invalid_response",
      "GitHub refused the refresh (error=incorrect_client_credentials).",
    );
  });

  it("an outage is temporarily_unavailable", async () => {
    const { client, answers } = setup({ timeoutSeconds: 0.05 });
    answers.token = () => new Response("", { status: 503 });
    await expectUpstreamError(
      client.refresh(REFRESH_TOKEN),
      "temporarily_unavailable",
      "The identity provider's endpoint answered HTTP 503.",
    );
    answers.token = networkFailure;
    await expectUpstreamError(
      client.refresh(REFRESH_TOKEN),
      "temporarily_unavailable",
      "The identity provider could not be reached.",
    );
  });
});

describe("github preset: GitHub Enterprise and configuration", () => {
  it("uses the Enterprise base for OAuth, its /api/v3 for the user, and records the base as issuer", async () => {
    const { client, calls } = setup({ githubBaseUrl: "https://ghe.example.com/" });
    const { url, finish } = await started(client);
    expect(url.origin + url.pathname).toBe("https://ghe.example.com/login/oauth/authorize");
    const user = await finish();
    expect(user.issuer).toBe("https://ghe.example.com");
    expect(calls("/login/oauth/access_token")[0]?.url).toBe("https://ghe.example.com/login/oauth/access_token");
    // The Enterprise token never travels to api.github.com.
    expect(calls("/user")[0]?.url).toBe("https://ghe.example.com/api/v3/user");
  });

  it("an explicit API URL wins", async () => {
    const { client, calls } = setup({
      githubBaseUrl: "https://ghe.example.com",
      githubApiUrl: "https://api.ghe.example.com",
    });
    const { finish } = await started(client);
    await finish();
    expect(calls("/user")[0]?.url).toBe("https://api.ghe.example.com/user");
  });

  it("refuses plain-http URLs (except loopback with the opt-in) and other presets' fields", () => {
    const base = { kind: "github", clientId: CLIENT_ID, clientSecret: CLIENT_SECRET } as const;
    expect(thrown(() => upstreamClient({ ...base, githubBaseUrl: "http://ghe.example.com" }))).toBeInstanceOf(
      TypeError,
    );
    expect(thrown(() => upstreamClient({ ...base, githubApiUrl: "http://api.example.com" }))).toBeInstanceOf(TypeError);
    expect(thrown(() => upstreamClient({ ...base, issuer: "https://github.com" }))).toBeInstanceOf(TypeError);
    expect(() =>
      upstreamClient({ ...base, githubBaseUrl: "http://127.0.0.1:9999", allowInsecureLoopback: true }),
    ).not.toThrow();
  });
});

describe("github preset: revalidate (every downstream refresh)", () => {
  const SUBJECT = String(OCTOCAT.id);
  const CHECK_URL = `https://api.github.com/applications/${CLIENT_ID}/token`;

  it("an OAuth App token (no refresh token): GitHub's token check, Basic client auth, the token in the JSON body", async () => {
    const { client, calls } = setup();
    const tokens = { accessToken: ACCESS_TOKEN };
    expect(await client.revalidate({ subject: SUBJECT, tokens })).toEqual(tokens);
    const [call] = calls(`/applications/${CLIENT_ID}/token`);
    expect(call?.url).toBe(CHECK_URL);
    expect(call?.method).toBe("POST");
    expect(call?.headers.get("authorization")).toBe(`Basic ${btoa(`${CLIENT_ID}:${CLIENT_SECRET}`)}`);
    expect(JSON.parse(call?.body ?? "")).toEqual({ access_token: ACCESS_TOKEN });
    expect(calls("/login/oauth/access_token")).toHaveLength(0);
  });

  it("GitHub Enterprise: the check goes to its own API, never api.github.com", async () => {
    const { client, calls } = setup({ githubBaseUrl: "https://ghe.example" });
    await client.revalidate({ subject: SUBJECT, tokens: { accessToken: ACCESS_TOKEN } });
    expect(calls(`/applications/${CLIENT_ID}/token`)[0]?.url).toBe(
      `https://ghe.example/api/v3/applications/${CLIENT_ID}/token`,
    );
  });

  it("the user revoked the app (404, 422) or the token is another user's → invalid_grant", async () => {
    const { client, answers } = setup();
    const grant = { subject: SUBJECT, tokens: { accessToken: ACCESS_TOKEN } };
    answers.check = () => Response.json({ message: "Not Found" }, { status: 404 });
    await expectUpstreamError(
      client.revalidate(grant),
      "invalid_grant",
      "GitHub no longer honours the access token (HTTP 404).",
    );
    answers.check = () => Response.json({ message: "Validation Failed" }, { status: 422 });
    await expectUpstreamError(
      client.revalidate(grant),
      "invalid_grant",
      "GitHub no longer honours the access token (HTTP 422).",
    );
    answers.check = () => Response.json({ user: { ...OCTOCAT, id: 1 } });
    await expectUpstreamError(client.revalidate(grant), "invalid_grant", "GitHub's token check names another user.");
  });

  it("an outage or exhausted rate limit is temporarily_unavailable; wrong client credentials are invalid_response", async () => {
    const { client, answers } = setup({ timeoutSeconds: 0.05 });
    const grant = { subject: SUBJECT, tokens: { accessToken: ACCESS_TOKEN } };
    answers.check = () => new Response("", { status: 502 });
    await expectUpstreamError(
      client.revalidate(grant),
      "temporarily_unavailable",
      "GitHub's token check is unavailable (HTTP 502).",
    );
    answers.check = () => new Response("", { status: 403, headers: { "x-ratelimit-remaining": "0" } });
    await expectUpstreamError(
      client.revalidate(grant),
      "temporarily_unavailable",
      "GitHub's token check is unavailable (HTTP 403).",
    );
    answers.check = networkFailure;
    await expectUpstreamError(
      client.revalidate(grant),
      "temporarily_unavailable",
      "The identity provider could not be reached.",
    );
    answers.check = () => Response.json({ message: "Requires authentication" }, { status: 401 });
    await expectUpstreamError(
      client.revalidate(grant),
      "invalid_response",
      "GitHub's token check refused this app (HTTP 401).",
    );
  });

  it("a GitHub App token with a refresh token: refreshing is the check (bad_refresh_token → invalid_grant)", async () => {
    const { client, answers, calls } = setup();
    const grant = { subject: SUBJECT, tokens: { accessToken: ACCESS_TOKEN, refreshToken: REFRESH_TOKEN } };
    answers.token = () =>
      Response.json({
        access_token: "ghu_new",
        token_type: "bearer",
        expires_in: 28800,
        refresh_token: NEW_REFRESH_TOKEN,
      });
    expect(await client.revalidate(grant)).toEqual({
      accessToken: "ghu_new",
      refreshToken: NEW_REFRESH_TOKEN,
      expiresAt: T0 + 28800,
    });
    expect(calls(`/applications/${CLIENT_ID}/token`)).toHaveLength(0);
    answers.token = () => Response.json({ error: "bad_refresh_token" });
    await expectUpstreamError(
      client.revalidate(grant),
      "invalid_grant",
      "GitHub no longer honours the refresh token (error=bad_refresh_token).",
    );
  });
});

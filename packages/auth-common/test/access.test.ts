import { SignJWT, exportJWK, generateKeyPair, type JWTPayload } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import {
  ACCESS_JWT_HEADER,
  ACCESS_MAX_LIFETIME_SECONDS,
  accessTeamOrigin,
  accessVerifier,
  type AccessOptions,
} from "../src/access.ts";
import { apiKeyVerifier, generateApiKey } from "../src/api-key.ts";
import { createAuthenticator } from "../src/authenticate.ts";
import { FakeFetch, epochSeconds, expectAuthError, rsaKey, signRs256, type SigningKey } from "./fakes.ts";
import { thrown } from "./helpers.ts";

const TEAM = "myteam.cloudflareaccess.com";
const ORIGIN = `https://${TEAM}`;
const CERTS = `${ORIGIN}/cdn-cgi/access/certs`;
const AUD = "4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2";
const RESOURCE = "https://mcp.example.com/mcp";

const BAD_ALG = "The token is signed with an algorithm this server does not allow.";
const UNKNOWN_KEY = "The token is signed with a key this server does not know.";

let key: SigningKey;
let other: SigningKey;

beforeAll(async () => {
  [key, other] = await Promise.all([rsaKey("access-1"), rsaKey("other")]);
});

function userClaims(overrides: JWTPayload = {}): JWTPayload {
  const now = epochSeconds();
  return {
    iss: ORIGIN,
    aud: [AUD],
    sub: "7335d417-61da-459d-899c-0a01c76a2f94",
    email: "ada@example.com",
    type: "app",
    iat: now,
    nbf: now,
    exp: now + 3600,
    ...overrides,
  };
}

function setup(overrides: Partial<AccessOptions> = {}) {
  const fake = new FakeFetch(() => Response.json({ keys: [key.jwk] }));
  const verifier = accessVerifier({
    teamDomain: TEAM,
    audience: AUD,
    scopes: ["notes:read"],
    fetch: fake.fetch,
    ...overrides,
  });
  return { fake, verifier };
}

function withAssertion(token: string | undefined, headers: Record<string, string> = {}): Request {
  return new Request(RESOURCE, {
    headers: { ...headers, ...(token === undefined ? {} : { [ACCESS_JWT_HEADER]: token }) },
  });
}

describe("accessTeamOrigin", () => {
  it.each([
    [TEAM, ORIGIN],
    [`https://${TEAM}`, ORIGIN],
    [`https://${TEAM}/`, ORIGIN],
    ["  MyTeam.CloudflareAccess.com  ", ORIGIN],
    ["a-b.c.cloudflareaccess.com", "https://a-b.c.cloudflareaccess.com"],
  ])("accepts %j → %s", (input, expected) => {
    expect(accessTeamOrigin(input)).toBe(expected);
    expect(accessTeamOrigin(input, { allowInsecureLoopback: true })).toBe(expected);
  });

  it.each([
    ["http://127.0.0.1:8787", "http://127.0.0.1:8787"],
    ["http://localhost:9000/", "http://localhost:9000"],
    ["http://[::1]:9000", "http://[::1]:9000"],
  ])("accepts the loopback origin %j only with the insecure-loopback opt-in", (input, expected) => {
    expect(accessTeamOrigin(input, { allowInsecureLoopback: true })).toBe(expected);
    expect(thrown(() => accessTeamOrigin(input))).toHaveProperty(
      "message",
      "Access team domain over http must be https without credentials (plain http only on a loopback host, with ALLOW_INSECURE_HTTP_LOOPBACK=true), as an origin with a port",
    );
  });

  it.each([
    "",
    "cloudflareaccess.com",
    ".cloudflareaccess.com",
    "evil.com",
    `${TEAM}.evil.com`,
    `evilcloudflareaccess.com`,
    `http://${TEAM}`,
    `https://${TEAM}/path`,
    `https://${TEAM}:8443`,
    `https://user@${TEAM}`,
    `https://${TEAM}?x=1`,
    "https://evil.com/.cloudflareaccess.com",
    "-bad.cloudflareaccess.com",
    "http://127.0.0.1",
    "http://127.0.0.2:8080",
    "https://127.0.0.1:8080",
    "http://localhost:0",
    "http://localhost:70000",
    "http://localhost:8080/path",
    "http://localhost.evil.com:8080",
  ])("rejects %j, even with the insecure-loopback opt-in", (input) => {
    expect(thrown(() => accessTeamOrigin(input))).toBeInstanceOf(Error);
    expect(thrown(() => accessTeamOrigin(input, { allowInsecureLoopback: true }))).toBeInstanceOf(Error);
  });
});

describe("accessVerifier construction", () => {
  it("refuses a bad team domain, an empty audience and malformed scopes", () => {
    expect(thrown(() => setup({ teamDomain: "evil.com" }))).toEqual(
      new Error("Access team domain must be a hostname ending in .cloudflareaccess.com"),
    );
    expect(thrown(() => setup({ audience: " " }))).toEqual(new Error("Access audience (AUD tag) must not be empty"));
    expect(thrown(() => setup({ scopes: ["bad scope"] }))).toEqual(
      new Error("Access scopes must be RFC 6749 scope tokens"),
    );
  });
});

describe("accessVerifier", () => {
  it("answers undefined without the header, even with a bearer, and fetches nothing", async () => {
    const { fake, verifier } = setup();
    expect(verifier.method).toBe("access");
    expect(await verifier.verify({ request: withAssertion(undefined), bearer: undefined })).toBeUndefined();
    const bearerOnly = withAssertion(undefined, { authorization: "Bearer abc" });
    expect(await verifier.verify({ request: bearerOnly, bearer: "abc" })).toBeUndefined();
    expect(fake.calls).toEqual([]);
  });

  it("ignores an Access JWT sent as the bearer", async () => {
    const { verifier } = setup();
    const token = await signRs256(userClaims(), key);
    expect(await verifier.verify({ request: withAssertion(undefined), bearer: token })).toBeUndefined();
  });

  it("accepts a user token, fetching the team's certs once", async () => {
    const { fake, verifier } = setup();
    const claims = userClaims();
    const token = await signRs256(claims, key);
    const expected = {
      subject: claims.sub,
      displayName: "ada@example.com",
      clientId: "cloudflare-access",
      issuer: ORIGIN,
      scopes: ["notes:read"],
      method: "access",
      expiresAt: claims.exp,
    };
    expect(await verifier.verify({ request: withAssertion(token), bearer: undefined })).toEqual(expected);
    expect(await verifier.verify({ request: withAssertion(token), bearer: undefined })).toEqual(expected);
    expect(fake.calls.map((call) => [call.method, call.url])).toEqual([["GET", CERTS]]);
  });

  it("accepts a single-string aud", async () => {
    const { verifier } = setup();
    const token = await signRs256(userClaims({ aud: AUD }), key);
    expect(await verifier.verify({ request: withAssertion(token), bearer: undefined })).toMatchObject({
      method: "access",
    });
  });

  it("uses common_name as the subject of a service token (empty sub)", async () => {
    const { verifier } = setup();
    const token = await signRs256(
      userClaims({ sub: "", email: undefined, common_name: "a1b2c3.access", type: "app" }),
      key,
    );
    const identity = await verifier.verify({ request: withAssertion(token), bearer: undefined });
    expect(identity).toMatchObject({ subject: "a1b2c3.access", clientId: "cloudflare-access", method: "access" });
    expect(identity).not.toHaveProperty("displayName");
  });

  it("rejects a token with neither sub nor common_name", async () => {
    const { verifier } = setup();
    const token = await signRs256(userClaims({ sub: "", common_name: "" }), key);
    await expectAuthError(
      verifier.verify({ request: withAssertion(token), bearer: undefined }),
      "invalid_token",
      "The Access token has no subject.",
    );
  });

  it("rejects a token without a sub claim at all", async () => {
    const { verifier } = setup();
    const claims = userClaims({ common_name: "svc" });
    delete claims.sub;
    await expectAuthError(
      verifier.verify({ request: withAssertion(await signRs256(claims, key)), bearer: undefined }),
      "invalid_token",
      `The token's "sub" claim is not valid here (missing).`,
    );
  });

  it("rejects claims that do not form an identity (an email longer than 256 characters)", async () => {
    const { verifier } = setup();
    const token = await signRs256(userClaims({ email: `${"a".repeat(260)}@example.com` }), key);
    await expectAuthError(
      verifier.verify({ request: withAssertion(token), bearer: undefined }),
      "invalid_token",
      "The Access token's claims do not form a usable identity.",
    );
  });

  it.each<[string, JWTPayload, string]>([
    [
      "another application's AUD",
      { aud: ["0".repeat(64)] },
      `The token's "aud" claim is not valid here (check_failed).`,
    ],
    [
      "another team's issuer",
      { iss: "https://other.cloudflareaccess.com" },
      `The token's "iss" claim is not valid here (check_failed).`,
    ],
    ["no exp", { exp: undefined }, `The token's "exp" claim is not valid here (missing).`],
    ["a past exp", { exp: epochSeconds() - 120 }, "The token has expired."],
    [
      "a 40-day lifetime (Access sessions last a month at most)",
      { exp: epochSeconds() + 40 * 86_400 },
      `The token's "exp" claim is not valid here (lifetime over ${ACCESS_MAX_LIFETIME_SECONDS} s).`,
    ],
    [
      "exp: 9e12",
      { exp: 9e12 },
      `The token's "exp" claim is not valid here (lifetime over ${ACCESS_MAX_LIFETIME_SECONDS} s).`,
    ],
  ])("rejects %s", async (_label, overrides, message) => {
    const { verifier } = setup();
    const token = await signRs256(JSON.parse(JSON.stringify(userClaims(overrides))) as JWTPayload, key);
    await expectAuthError(
      verifier.verify({ request: withAssertion(token), bearer: undefined }),
      "invalid_token",
      message,
    );
  });

  it("accepts a month-long session token (the longest Access issues)", async () => {
    const { verifier } = setup();
    const token = await signRs256(userClaims({ exp: epochSeconds() + 30 * 86_400 }), key);
    expect(await verifier.verify({ request: withAssertion(token), bearer: undefined })).toMatchObject({
      method: "access",
    });
  });

  it("checks exp against the injected clock too", async () => {
    const exp = epochSeconds() + 600;
    const token = await signRs256(userClaims({ exp }), key);
    const late = setup({ now: () => (exp + 61) * 1000 }).verifier;
    await expectAuthError(
      late.verify({ request: withAssertion(token), bearer: undefined }),
      "invalid_token",
      "The token has expired.",
    );
    const onTime = setup({ now: () => (exp + 59) * 1000 }).verifier;
    expect(await onTime.verify({ request: withAssertion(token), bearer: undefined })).toMatchObject({
      method: "access",
    });
  });

  it("accepts RS256 only", async () => {
    const ec = await generateKeyPair("ES256", { extractable: true });
    const ecJwk = { ...(await exportJWK(ec.publicKey)), kid: "ec", alg: "ES256" };
    const fake = new FakeFetch(() => Response.json({ keys: [key.jwk, ecJwk] }));
    const verifier = accessVerifier({ teamDomain: TEAM, audience: AUD, scopes: [], fetch: fake.fetch });
    const es256 = await new SignJWT(userClaims()).setProtectedHeader({ alg: "ES256", kid: "ec" }).sign(ec.privateKey);
    await expectAuthError(
      verifier.verify({ request: withAssertion(es256), bearer: undefined }),
      "invalid_token",
      BAD_ALG,
    );
    const hs256 = await new SignJWT(userClaims())
      .setProtectedHeader({ alg: "HS256", kid: key.kid })
      .sign(new TextEncoder().encode("x".repeat(32)));
    await expectAuthError(
      verifier.verify({ request: withAssertion(hs256), bearer: undefined }),
      "invalid_token",
      BAD_ALG,
    );
  });

  it("rejects a token signed by a key the team does not publish", async () => {
    const { verifier } = setup();
    const token = await signRs256(userClaims(), other);
    await expectAuthError(
      verifier.verify({ request: withAssertion(token), bearer: undefined }),
      "invalid_token",
      UNKNOWN_KEY,
    );
  });

  it.each(["not-a-jwt", "a.b", "", "a.b.c.d"])("rejects a header value that is not a JWT (%j)", async (value) => {
    const { fake, verifier } = setup();
    await expectAuthError(
      verifier.verify({ request: withAssertion(value), bearer: undefined }),
      "invalid_token",
      "The token is not a JWT.",
    );
    expect(fake.calls).toEqual([]);
  });

  it("fails closed with temporarily_unavailable when the certs cannot be fetched", async () => {
    const fake = new FakeFetch(() => Promise.reject(new TypeError("fetch failed")));
    const verifier = accessVerifier({ teamDomain: TEAM, audience: AUD, scopes: [], fetch: fake.fetch });
    const error = await expectAuthError(
      verifier.verify({ request: withAssertion(await signRs256(userClaims(), key)), bearer: undefined }),
      "temporarily_unavailable",
      "The token's signing keys cannot be fetched right now.",
    );
    // The next probe of the certs endpoint, not a whole refetch cooldown (jwks-cache.ts).
    expect(error.retryAfterSeconds).toBe(5);
  });

  it("fails closed with 503 when the certs endpoint answers 500, and does not echo its body", async () => {
    const fake = new FakeFetch(() => new Response("access-upstream-body", { status: 500 }));
    const verifier = accessVerifier({ teamDomain: TEAM, audience: AUD, scopes: [], fetch: fake.fetch });
    const error = await expectAuthError(
      verifier.verify({ request: withAssertion(await signRs256(userClaims(), key)), bearer: undefined }),
      "temporarily_unavailable",
      "The token's signing keys cannot be fetched right now.",
    );
    expect(error.message).not.toContain("access-upstream-body");
  });

  it("uses a loopback team origin for issuer and certs (with the insecure-loopback opt-in)", async () => {
    const origin = "http://127.0.0.1:8787";
    const { fake, verifier } = setup({ teamDomain: origin, allowInsecureLoopback: true });
    const token = await signRs256(userClaims({ iss: origin }), key);
    expect(await verifier.verify({ request: withAssertion(token), bearer: undefined })).toMatchObject({
      method: "access",
    });
    expect(fake.calls.map((call) => call.url)).toEqual([`${origin}/cdn-cgi/access/certs`]);
  });

  it("never echoes the token in an error message", async () => {
    const { verifier } = setup();
    const token = await signRs256(userClaims({ aud: ["wrong"] }), key);
    const error = await expectAuthError(
      verifier.verify({ request: withAssertion(token), bearer: undefined }),
      "invalid_token",
      `The token's "aud" claim is not valid here (check_failed).`,
    );
    expect(error.message).not.toContain(token);
  });
});

describe("accessVerifier behind createAuthenticator", () => {
  it("authenticates from the header alone and answers 401 for a bad assertion", async () => {
    const { verifier } = setup();
    const gate = createAuthenticator({ pattern: "token-validation", verifiers: [verifier], mode: "required" });
    const token = await signRs256(userClaims(), key);
    expect(await gate(withAssertion(token))).toMatchObject({ method: "access", subject: userClaims().sub });

    const bad = await gate(withAssertion(await signRs256(userClaims(), other)));
    expect(bad).toBeInstanceOf(Response);
    if (!(bad instanceof Response)) throw new Error("unreachable");
    expect(bad.status).toBe(401);
    expect(bad.headers.get("www-authenticate")).toBe(
      `Bearer error="invalid_token", error_description="${UNKNOWN_KEY}"`,
    );
    expect(await bad.json()).toEqual({ error: "invalid_token", error_description: UNKNOWN_KEY });
  });

  it("a valid assertion does not carry a bad bearer token through, and a valid bearer not a bad assertion", async () => {
    const { verifier } = setup();
    const { key: apiKey, hash } = await generateApiKey();
    const apiKeys = apiKeyVerifier({
      store: {
        findByHash: async (h) =>
          h === hash
            ? { id: "key_1", hash, owner: "o", scopes: [], createdAt: 0, expiresAt: null, revokedAt: null }
            : null,
      },
    });
    const good = await signRs256(userClaims(), key);
    const forged = await signRs256(userClaims(), other);
    const gate = createAuthenticator({
      pattern: "token-validation",
      verifiers: [verifier, apiKeys],
      mode: "required",
    });
    const status = async (assertion: string, authorization: string) => {
      const result = await gate(withAssertion(assertion, { authorization }));
      return result instanceof Response ? [result.status, await result.json()] : result.method;
    };
    expect(await status(good, `Bearer ${apiKey}`)).toBe("access");
    expect(await status(good, "Bearer mcpk_short")).toEqual([
      401,
      { error: "invalid_token", error_description: "Malformed API key." },
    ]);
    expect(await status(good, "Bearer opaque")).toEqual([
      401,
      { error: "invalid_token", error_description: "The bearer credential is not one this server accepts." },
    ]);
    expect(await status(forged, `Bearer ${apiKey}`)).toEqual([
      401,
      { error: "invalid_token", error_description: UNKNOWN_KEY },
    ]);
  });
});

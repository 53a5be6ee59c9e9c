import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { apiKeyVerifier, generateApiKey, type ApiKeyRecord } from "../src/api-key.ts";
import { createAuthenticator, type AuthenticatorOptions } from "../src/authenticate.ts";
import { AuthError } from "../src/errors.ts";
import type { Identity } from "@mcp-auth/identity";
import { introspectionVerifier } from "../src/introspection.ts";
import { jwtVerifier } from "../src/jwt.ts";
import { mtlsVerifier } from "../src/mtls.ts";
import type { CredentialVerifier } from "../src/verifier.ts";
import { FakeFetch, epochSeconds } from "./fakes.ts";
import { rejected } from "./helpers.ts";

const RESOURCE = "https://mcp.example.com/mcp";
const METADATA = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp";
const SECRET = "k".repeat(32);
const ISSUER = "https://issuer.example";

async function fixtures() {
  const { key, id, hash } = await generateApiKey();
  const record: ApiKeyRecord = {
    id,
    hash,
    owner: "key-owner",
    scopes: ["notes:read"],
    createdAt: 0,
    expiresAt: null,
    revokedAt: null,
  };
  const verifiers = [
    apiKeyVerifier({ store: { findByHash: async (h) => (h === hash ? record : null) } }),
    jwtVerifier({
      issuer: ISSUER,
      audience: RESOURCE,
      algorithms: ["HS256"],
      keys: { kind: "secret", secret: SECRET },
    }),
  ];
  const jwt = await new SignJWT({ iss: ISSUER, aud: RESOURCE, sub: "jwt-user", exp: epochSeconds() + 600 })
    .setProtectedHeader({ alg: "HS256" })
    .sign(new TextEncoder().encode(SECRET));
  return { key, id, jwt, verifiers, bearers: verifiers };
}

function authenticator(verifiers: readonly CredentialVerifier[], overrides: Partial<AuthenticatorOptions> = {}) {
  return createAuthenticator({
    pattern: "token-validation",
    verifiers,
    mode: "required",
    challenge: { resourceMetadataUrl: METADATA },
    ...overrides,
  });
}

function request(authorization?: string | string[], url = RESOURCE): Request {
  const headers = new Headers();
  for (const value of authorization === undefined ? [] : [authorization].flat()) headers.append("authorization", value);
  return new Request(url, { headers });
}

async function expectChallenge(result: Identity | Response, status: number, wwwAuthenticate: string, body: object) {
  expect(result).toBeInstanceOf(Response);
  if (!(result instanceof Response)) throw new Error("unreachable");
  expect(result.status).toBe(status);
  expect(result.headers.get("www-authenticate")).toBe(wwwAuthenticate);
  expect(await result.json()).toEqual(body);
}

function invalid(code: string, description: string): string {
  return `Bearer error="${code}", error_description="${description}", resource_metadata="${METADATA}"`;
}

describe("createAuthenticator (required)", () => {
  it("accepts an API key and a JWT through their verifiers", async () => {
    const { key, id, jwt, verifiers } = await fixtures();
    const gate = authenticator(verifiers);
    expect(await gate(request(`Bearer ${key}`))).toMatchObject({
      subject: "key-owner",
      clientId: id,
      method: "api_key",
    });
    expect(await gate(request(`Bearer ${jwt}`))).toMatchObject({ subject: "jwt-user", method: "jwt" });
  });

  it("answers a bare 401 challenge with resource_metadata and no error when there is no header", async () => {
    const { verifiers } = await fixtures();
    await expectChallenge(await authenticator(verifiers)(request()), 401, `Bearer resource_metadata="${METADATA}"`, {
      error: "unauthorized",
      error_description: "This MCP server needs a credential in the Authorization header.",
    });
  });

  it("answers a bare `Bearer` challenge when no metadata URL is configured", async () => {
    const { verifiers } = await fixtures();
    const result = await authenticator(verifiers, { challenge: {} })(request());
    await expectChallenge(result, 401, "Bearer", {
      error: "unauthorized",
      error_description: "This MCP server needs a credential in the Authorization header.",
    });
  });

  it("lets per-request challenge options override the configured ones", async () => {
    const { verifiers } = await fixtures();
    const perRequest = "https://preview.example/.well-known/oauth-protected-resource/mcp";
    const result = await authenticator(verifiers)(request(), { resourceMetadataUrl: perRequest });
    await expectChallenge(result, 401, `Bearer resource_metadata="${perRequest}"`, {
      error: "unauthorized",
      error_description: "This MCP server needs a credential in the Authorization header.",
    });
  });

  it("says that query-string tokens are ignored", async () => {
    const { key, verifiers } = await fixtures();
    const result = await authenticator(verifiers)(request(undefined, `${RESOURCE}?access_token=${key}`));
    await expectChallenge(result, 401, `Bearer resource_metadata="${METADATA}"`, {
      error: "unauthorized",
      error_description: "Tokens in the query string are ignored: send the credential in the Authorization header.",
    });
  });

  it("answers 400 invalid_request for Basic credentials", async () => {
    const { verifiers } = await fixtures();
    const message = "The Authorization scheme must be Bearer.";
    await expectChallenge(
      await authenticator(verifiers)(request("Basic x")),
      400,
      invalid("invalid_request", message),
      {
        error: "invalid_request",
        error_description: message,
      },
    );
  });

  it("answers 400 invalid_request for two Authorization values", async () => {
    const { key, jwt, verifiers } = await fixtures();
    const message = "Send exactly one Authorization header.";
    const result = await authenticator(verifiers)(request([`Bearer ${key}`, `Bearer ${jwt}`]));
    await expectChallenge(result, 400, invalid("invalid_request", message), {
      error: "invalid_request",
      error_description: message,
    });
  });

  it("answers 401 invalid_token for a bearer no method claims", async () => {
    const { verifiers } = await fixtures();
    const message = "The bearer credential is not one this server accepts.";
    await expectChallenge(
      await authenticator(verifiers)(request("Bearer opaque-token")),
      401,
      invalid("invalid_token", message),
      {
        error: "invalid_token",
        error_description: message,
      },
    );
  });

  it("answers 401 invalid_token from the claiming verifier without echoing the credential", async () => {
    const { verifiers } = await fixtures();
    const unknown = (await generateApiKey()).key;
    const result = await authenticator(verifiers)(request(`Bearer ${unknown}`));
    await expectChallenge(result, 401, invalid("invalid_token", "Unknown API key."), {
      error: "invalid_token",
      error_description: "Unknown API key.",
    });
  });
});

describe("createAuthenticator (optional)", () => {
  it("gives the anonymous identity with anonymousScopes when there is no credential", async () => {
    const { verifiers } = await fixtures();
    const gate = authenticator(verifiers, { mode: "optional", anonymousScopes: ["notes:read"] });
    expect(await gate(request())).toEqual({
      subject: "anonymous",
      displayName: "Anonymous",
      clientId: "anonymous",
      issuer: "self",
      scopes: ["notes:read"],
      pattern: "token-validation",
      method: "anonymous",
    });
  });

  it("still rejects a credential that is present but bad", async () => {
    const { verifiers } = await fixtures();
    const gate = authenticator(verifiers, { mode: "optional", anonymousScopes: ["notes:read"] });
    await expectChallenge(
      await gate(request("Bearer mcpk_short")),
      401,
      invalid("invalid_token", "Malformed API key."),
      {
        error: "invalid_token",
        error_description: "Malformed API key.",
      },
    );
    const unclaimed = "The bearer credential is not one this server accepts.";
    await expectChallenge(await gate(request("Bearer opaque")), 401, invalid("invalid_token", unclaimed), {
      error: "invalid_token",
      error_description: unclaimed,
    });
  });
});

describe("createAuthenticator: verifier order", () => {
  function fixed(
    name: string,
    answer: "skip" | "accept" | "reject",
    log: string[],
    reads: CredentialVerifier["reads"] = "bearer",
  ): CredentialVerifier {
    return {
      method: "jwt",
      reads,
      async verify() {
        log.push(name);
        if (answer === "skip") return undefined;
        if (answer === "reject") throw new AuthError("invalid_token", `${name} rejects`);
        return { subject: name, clientId: name, issuer: "https://idp.example.com", scopes: [], method: "jwt" };
      },
    };
  }

  it("lets the first claiming verifier decide, and asks no later one", async () => {
    const log: string[] = [];
    const gate = authenticator([fixed("a", "skip", log), fixed("b", "accept", log), fixed("c", "reject", log)]);
    expect(await gate(request("Bearer t"))).toMatchObject({ subject: "b" });
    expect(log).toEqual(["a", "b"]);
  });

  it("stops at the first verifier that rejects, even if a later one would accept", async () => {
    const log: string[] = [];
    const gate = authenticator([fixed("a", "reject", log), fixed("b", "accept", log)]);
    await expectChallenge(await gate(request("Bearer t")), 401, invalid("invalid_token", "a rejects"), {
      error: "invalid_token",
      error_description: "a rejects",
    });
    expect(log).toEqual(["a"]);
  });

  it("examines every request credential after a bearer was accepted; a bad one refuses the request", async () => {
    const log: string[] = [];
    const gate = authenticator([fixed("a", "accept", log), fixed("b", "reject", log, "request")]);
    await expectChallenge(await gate(request("Bearer t")), 401, invalid("invalid_token", "b rejects"), {
      error: "invalid_token",
      error_description: "b rejects",
    });
    expect(log).toEqual(["a", "b"]);
  });

  it("of two valid credentials the first method in order names the caller; both are examined", async () => {
    const log: string[] = [];
    const gate = authenticator([fixed("a", "accept", log, "request"), fixed("b", "accept", log)]);
    expect(await gate(request("Bearer t"))).toMatchObject({ subject: "a" });
    expect(log).toEqual(["a", "b"]);
  });

  it("refuses a bearer no bearer method claims even when a request credential is valid", async () => {
    const log: string[] = [];
    const gate = authenticator([fixed("a", "accept", log, "request"), fixed("b", "skip", log)]);
    const message = "The bearer credential is not one this server accepts.";
    await expectChallenge(await gate(request("Bearer t")), 401, invalid("invalid_token", message), {
      error: "invalid_token",
      error_description: message,
    });
  });

  it("propagates an unexpected error instead of turning it into a 401", async () => {
    const bug = new TypeError("a bug in a verifier");
    const gate = authenticator([
      {
        method: "jwt",
        reads: "bearer",
        async verify() {
          throw bug;
        },
      },
    ]);
    expect(await rejected(gate(request("Bearer t")))).toBe(bug);
  });
});

describe("createAuthenticator: a credential that is present but bad is refused whatever else is present", () => {
  const fingerprint = "ab".repeat(32);
  /** A request with a client certificate Cloudflare verified (or not) and optional Authorization. */
  function withCertificate(verified: "SUCCESS" | "FAILED:expired", authorization?: string): Request {
    const cf = {
      tlsClientAuth: {
        certPresented: "1",
        certVerified: verified,
        certRevoked: "0",
        certFingerprintSHA256: fingerprint,
        certSubjectDN: "CN=agent",
      },
    };
    const headers = authorization === undefined ? undefined : { authorization };
    const plain = new Request(RESOURCE, headers === undefined ? {} : { headers });
    return Object.assign(plain, { cf });
  }

  async function mixed() {
    const { key, jwt, verifiers } = await fixtures();
    const mtls = mtlsVerifier({ scopes: ["notes:read"] });
    return { key, jwt, bearers: verifiers, mtls };
  }

  it("control: a verified certificate alone, and with a valid API key, is accepted (certificate first in order)", async () => {
    const { key, bearers, mtls } = await mixed();
    const gate = authenticator([mtls, ...bearers]);
    expect(await gate(withCertificate("SUCCESS"))).toMatchObject({ method: "mtls" });
    expect(await gate(withCertificate("SUCCESS", `Bearer ${key}`))).toMatchObject({ method: "mtls" });
  });

  it.each<[string, string, string]>([
    ["a malformed API key", "Bearer mcpk_short", "Malformed API key."],
    ["an unknown API key", `Bearer mcpk_${"A".repeat(43)}`, "Unknown API key."],
    ["a JWT with a bad signature", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", "The token is not valid."],
    ["a bearer no method claims", "Bearer opaque", "The bearer credential is not one this server accepts."],
  ])("a verified certificate does not carry %s through (401)", async (_label, authorization, message) => {
    const { bearers, mtls } = await mixed();
    const result = await authenticator([mtls, ...bearers])(withCertificate("SUCCESS", authorization));
    await expectChallenge(result, 401, invalid("invalid_token", message), {
      error: "invalid_token",
      error_description: message,
    });
  });

  it("a verified certificate does not carry a malformed Authorization header through (400)", async () => {
    const { bearers, mtls } = await mixed();
    const message = "The Authorization scheme must be Bearer.";
    const result = await authenticator([mtls, ...bearers])(withCertificate("SUCCESS", "Basic x"));
    await expectChallenge(result, 400, invalid("invalid_request", message), {
      error: "invalid_request",
      error_description: message,
    });
  });

  it("a valid API key or JWT does not carry an unverified certificate through (method after them in order)", async () => {
    const { key, jwt, bearers, mtls } = await mixed();
    const gate = authenticator([...bearers, mtls]);
    const message = "The client certificate was not verified.";
    for (const token of [key, jwt]) {
      await expectChallenge(
        await gate(withCertificate("FAILED:expired", `Bearer ${token}`)),
        401,
        invalid("invalid_token", message),
        { error: "invalid_token", error_description: message },
      );
    }
  });

  it("a JWT is examined by the JWT method only, never also sent to introspection", async () => {
    const { jwt, bearers } = await fixtures();
    const fake = new FakeFetch(() => Response.json({ active: false }));
    const introspection = introspectionVerifier({
      url: "https://as.example/introspect",
      clientId: "rs",
      clientSecret: "secret",
      fetch: fake.fetch,
    });
    const gate = authenticator([...bearers, introspection]);
    expect(await gate(request(`Bearer ${jwt}`))).toMatchObject({ method: "jwt" });
    expect(fake.calls).toHaveLength(0);
    await expectChallenge(
      await gate(request("Bearer opaque")),
      401,
      invalid("invalid_token", "The token is not active."),
      { error: "invalid_token", error_description: "The token is not active." },
    );
    expect(fake.calls).toHaveLength(1);
  });
});

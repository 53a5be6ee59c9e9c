import { env } from "cloudflare:workers";
import { SignJWT, generateKeyPair } from "jose";
import { describe, expect, it } from "vitest";
import { createKey, mintJwt, readRpc, rpc, viaWorker, withVars } from "./helpers.ts";

interface OAuthErrorBody {
  error: string;
  error_description: string;
  scope?: string;
}

/** Asserts status, the challenge's error code (none for missing credentials) and the message. */
async function expectChallenge(response: Response, status: number, error: string | undefined, message: RegExp) {
  expect(response.status).toBe(status);
  const challenge = response.headers.get("www-authenticate") ?? "";
  expect(challenge.startsWith("Bearer")).toBe(true);
  if (error === undefined) expect(challenge).not.toContain("error=");
  else expect(challenge).toContain(`error="${error}"`);
  const body = await response.json<OAuthErrorBody>();
  expect(body.error_description).toMatch(message);
  return body;
}

const b64url = (value: unknown) =>
  btoa(JSON.stringify(value)).replaceAll("=", "").replaceAll("+", "-").replaceAll("/", "_");

describe("bearer credentials: every bad one is refused with the status the spec asks for", () => {
  it("no Authorization → 401 with a bare Bearer challenge (RFC 6750 §3.1), no resource_metadata without an AS", async () => {
    const response = await rpc(viaWorker, {});
    const body = await expectChallenge(response, 401, undefined, /needs a credential in the Authorization header/);
    expect(body.error).toBe("unauthorized");
    expect(response.headers.get("www-authenticate")).toBe("Bearer");
  });

  it.each([
    ["Basic credentials", "Basic YWxpY2U6c2VjcmV0", 400, "invalid_request", /scheme must be Bearer/],
    ["Bearer with nothing after it", "Bearer", 400, "invalid_request", /scheme must be Bearer|empty/],
    ["two Authorization headers", "Bearer a, Bearer b", 400, "invalid_request", /exactly one Authorization/],
    ["an illegal character", "Bearer abc<def", 400, "invalid_request", /characters RFC 6750 does not allow/],
    ["an unknown API key", `Bearer mcpk_${"A".repeat(43)}`, 401, "invalid_token", /^Unknown API key\.$/],
    ["a malformed API key (wrong length)", "Bearer mcpk_short", 401, "invalid_token", /^Malformed API key\.$/],
    ["a token no method recognizes", "Bearer not-a-key-or-jwt", 401, "invalid_token", /not one this server accepts/],
  ])("%s → %i", async (_name, authorization, status, error, message) => {
    await expectChallenge(await rpc(viaWorker, { authorization }), status, error, message);
  });

  it("more than one space after Bearer is accepted (RFC 6750 §2.1: 1*SP)", async () => {
    const { key } = await createKey(["notes:read"]);
    for (const spaces of ["  ", "   "]) {
      expect((await rpc(viaWorker, { authorization: `Bearer${spaces}${key}` })).status).toBe(200);
    }
  });

  it("a token in ?access_token= is ignored, and the 401 says so", async () => {
    const { key } = await createKey(["notes:read"]);
    const response = await rpc(viaWorker, {}, undefined, `http://localhost/mcp?access_token=${key}`);
    const body = await expectChallenge(response, 401, undefined, /query string are ignored/);
    expect(JSON.stringify(body)).not.toContain(key);
  });

  it("a revoked key → 401, an expired key → 401, and neither message echoes the key", async () => {
    const revoked = await createKey(["notes:read"], { revokedAt: Date.now() - 1000 });
    const expired = await createKey(["notes:read"], { expiresAt: Date.now() - 1000 });
    const a = await expectChallenge(
      await rpc(viaWorker, { authorization: `Bearer ${revoked.key}` }),
      401,
      "invalid_token",
      /revoked/,
    );
    const b = await expectChallenge(
      await rpc(viaWorker, { authorization: `Bearer ${expired.key}` }),
      401,
      "invalid_token",
      /expired/,
    );
    expect(JSON.stringify([a, b])).not.toMatch(/mcpk_/);
  });

  it("the right key with the wrong prefix or an extra character is refused", async () => {
    const { key } = await createKey(["notes:read"]);
    await expectChallenge(
      await rpc(viaWorker, { authorization: `Bearer mcpx_${key.slice(5)}` }),
      401,
      "invalid_token",
      /not one this server accepts/,
    );
    await expectChallenge(
      await rpc(viaWorker, { authorization: `Bearer ${key}x` }),
      401,
      "invalid_token",
      /Malformed API key/,
    );
  });

  it("a valid key without notes:write, no authorization server → a tool error naming the scope, nothing written", async () => {
    // A 403 insufficient_scope here would send clients into an OAuth flow against a server
    // that has no authorization server (issue: "a 403 that sends clients into a doomed OAuth flow").
    const { key } = await createKey(["notes:read"]);
    const call = (name: string, args: object) => ({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name, arguments: args },
    });
    const auth = { authorization: `Bearer ${key}` };
    const response = await rpc(viaWorker, auth, call("notes_add", { text: "x" }));
    expect(response.status).toBe(200);
    expect(response.headers.get("www-authenticate")).toBeNull();
    const answer = (await readRpc(response)) as { result?: { isError?: boolean; content?: { text?: string }[] } };
    expect(answer.result?.isError).toBe(true);
    expect(answer.result?.content?.[0]?.text).toMatch(/needs the scope notes:write/);
    const listed = (await readRpc(await rpc(viaWorker, auth, call("notes_list", {})))) as {
      result?: { structuredContent?: { notes?: unknown[] } };
    };
    expect(listed.result?.structuredContent?.notes).toEqual([]);
  });

  describe("JWT", () => {
    const now = Math.floor(Date.now() / 1000);
    /** Claims the Worker accepts, except that there is no `exp`. */
    const claimsWithoutExp = () => ({
      sub: "x",
      scope: "notes:read",
      iss: env.JWT_ISSUER,
      aud: env.JWT_AUDIENCE,
      iat: now,
    });
    /** Signs exactly these claims with the Worker's own secret, so the signature cannot be why it fails. */
    const signWithWorkerSecret = (claims: Record<string, unknown>) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "HS256", typ: "at+jwt" })
        .sign(new TextEncoder().encode(env.JWT_SECRET));

    it.each([
      ["expired", async () => mintJwt({ exp: now - 3600, iat: now - 7200 }), /"exp" claim|expired/],
      ["not yet valid (nbf beyond the skew)", async () => mintJwt({ nbf: now + 3600 }), /"nbf" claim/],
      ["issued in the future beyond the skew", async () => mintJwt({ iat: now + 3600 }), /"iat" claim/],
      ["from another issuer", async () => mintJwt({ iss: "https://evil.example" }), /"iss" claim/],
      ["for another audience (RFC 8707)", async () => mintJwt({ aud: "https://other.example/mcp" }), /"aud" claim/],
      [
        "signed with another secret",
        async () => mintJwt({}, { secret: "another-secret-that-is-long-enough-0123456789" }),
        /not valid/,
      ],
      [
        "with a tampered payload",
        async () => {
          const [header, , signature] = (await mintJwt()).split(".");
          return `${header}.${b64url({ sub: "admin", scope: "notes:write", iss: env.JWT_ISSUER, aud: env.JWT_AUDIENCE, exp: now + 600 })}.${signature}`;
        },
        /not valid/,
      ],
      [
        "alg: none",
        async () => `${b64url({ alg: "none", typ: "JWT" })}.${b64url({ sub: "admin", exp: now + 600 })}.`,
        /algorithm this server does not allow|not valid/,
      ],
      [
        "RS256 (outside the HS256 allow-list)",
        async () => {
          const { privateKey } = await generateKeyPair("RS256");
          return new SignJWT({ scope: "notes:write" })
            .setProtectedHeader({ alg: "RS256" })
            .setIssuer(env.JWT_ISSUER)
            .setAudience(env.JWT_AUDIENCE)
            .setSubject("x")
            .setExpirationTime("5m")
            .sign(privateKey);
        },
        /algorithm this server does not allow/,
      ],
      // HS256 signed with the server's RSA public key (algorithm confusion) needs a server that has
      // one: e2e/idp.e2e.test.ts runs it against dev-idp's JWKS.
      [
        "without exp (correctly signed)",
        async () => signWithWorkerSecret(claimsWithoutExp()),
        /^The token's "exp" claim is not valid here \(missing\)\.$/,
      ],
    ])("%s → 401 invalid_token", async (_name, token, message) => {
      const response = await rpc(viaWorker, { authorization: `Bearer ${await token()}` });
      await expectChallenge(response, 401, "invalid_token", message);
    });

    const tooLong = /^The token's "exp" claim is not valid here \(lifetime over 86400 s\)\.$/;
    it.each([
      ["exp: 9e12", { exp: 9e12 }],
      ["a 100-year lifetime", { exp: now + 100 * 365 * 86_400 }],
      ["no iat and an exp two days ahead", { iat: undefined, exp: now + 2 * 86_400 }],
    ])("a correctly signed token with %s → 401 naming exp (JWT_MAX_LIFETIME_SECONDS)", async (_name, claims) => {
      // `iat: undefined` drops the claim.
      const merged: Record<string, unknown> = { ...claimsWithoutExp(), ...claims };
      const token = await signWithWorkerSecret(
        Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== undefined)),
      );
      await expectChallenge(await rpc(viaWorker, { authorization: `Bearer ${token}` }), 401, "invalid_token", tooLong);
    });

    it("JWT_MAX_LIFETIME_SECONDS narrows the lifetime; a day-long token is the control", async () => {
      const token = await signWithWorkerSecret({ ...claimsWithoutExp(), exp: now + 86_400 });
      expect((await rpc(viaWorker, { authorization: `Bearer ${token}` })).status).toBe(200);
      const short = withVars({ JWT_MAX_LIFETIME_SECONDS: "3600" });
      await expectChallenge(
        await rpc(short, { authorization: `Bearer ${token}` }),
        401,
        "invalid_token",
        /^The token's "exp" claim is not valid here \(lifetime over 3600 s\)\.$/,
      );
      expect((await rpc(short, { authorization: `Bearer ${await mintJwt({}, { ttl: 3600 })}` })).status).toBe(200);
    });

    it("typ at+jwt is required by default (test/jwt-typ.test.ts has the rest); JWT_TYP=* turns it off", async () => {
      const typedJwt = await mintJwt({}, { header: { typ: "JWT" } });
      const typedAt = await mintJwt();
      expect((await rpc(viaWorker, { authorization: `Bearer ${typedAt}` })).status).toBe(200);
      expect((await rpc(withVars({ JWT_TYP: "*" }), { authorization: `Bearer ${typedJwt}` })).status).toBe(200);
      await expectChallenge(
        await rpc(viaWorker, { authorization: `Bearer ${typedJwt}` }),
        401,
        "invalid_token",
        /^The token's "typ" claim is not valid here \(check_failed\)\.$/,
      );
    });

    it("control for 'without exp': the same claims and signature plus an exp are accepted", async () => {
      const token = await signWithWorkerSecret({ ...claimsWithoutExp(), exp: now + 600 });
      expect((await rpc(viaWorker, { authorization: `Bearer ${token}` })).status).toBe(200);
    });

    it("a 1 MB token is refused before any parsing (431 at the guard)", async () => {
      const response = await rpc(viaWorker, { authorization: `Bearer ${"a".repeat(1024 * 1024)}` });
      expect(response.status).toBe(431);
      expect(await response.json()).toMatchObject({
        error: { message: "Request header authorization is larger than 8448 bytes" },
      });
    });
  });

  describe("migration mode (AUTH_MODE=optional)", () => {
    const optional = withVars({ AUTH_MODE: "optional" });
    it("lets a caller without credentials in as anonymous with ANONYMOUS_SCOPES", async () => {
      const response = await rpc(
        optional,
        {},
        { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "whoami", arguments: {} } },
      );
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text).toContain('\\"method\\":\\"anonymous\\"');
      expect(text).toContain('\\"scopes\\":[\\"notes:read\\"]');
    });
    it("still rejects a bad credential", async () => {
      await expectChallenge(
        await rpc(optional, { authorization: `Bearer mcpk_${"B".repeat(43)}` }),
        401,
        "invalid_token",
        /Unknown API key/,
      );
    });
  });

  describe("protected-resource metadata (RFC 9728)", () => {
    const withAs = withVars({ AUTHORIZATION_SERVERS: "https://auth.example.com" });
    it("is published at the path-inserted and root well-known URLs when AUTHORIZATION_SERVERS is set", async () => {
      for (const path of ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"]) {
        const response = await withAs(`http://localhost${path}`);
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual({
          resource: "http://localhost/mcp",
          authorization_servers: ["https://auth.example.com"],
          scopes_supported: ["notes:read", "notes:write"],
          bearer_methods_supported: ["header"],
          resource_name: "MCP token-validation reference server",
        });
      }
      const challenge = (await rpc(withAs, {})).headers.get("www-authenticate");
      expect(challenge).toBe(
        'Bearer scope="notes:read notes:write", resource_metadata="http://localhost/.well-known/oauth-protected-resource/mcp"',
      );
    });
    it("is not published without an authorization server (no doomed OAuth flow)", async () => {
      expect((await viaWorker("http://localhost/.well-known/oauth-protected-resource/mcp")).status).toBe(404);
      expect((await viaWorker("http://localhost/.well-known/oauth-protected-resource")).status).toBe(404);
    });
  });

  describe("mTLS (Cloudflare's verified client certificate fields)", () => {
    const fingerprint = "a".repeat(64);
    const tls = (verified: string) => ({
      tlsClientAuth: {
        certPresented: "1",
        certVerified: verified,
        certRevoked: "0",
        certFingerprintSHA256: fingerprint,
        certSubjectDN: "CN=agent-7",
      },
    });
    it("a verified certificate proves the caller", async () => {
      const fetchLike = withVars({ AUTH_METHODS: "mtls" }, tls("SUCCESS"));
      const response = await rpc(
        fetchLike,
        {},
        { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "whoami", arguments: {} } },
      );
      const text = await response.text();
      expect(text).toContain('\\"method\\":\\"mtls\\"');
      expect(text).toContain(`cert:${fingerprint}`);
    });
    it("a verified certificate does not carry a bad bearer token through", async () => {
      const both = withVars({ AUTH_METHODS: "mtls,api_key,jwt" }, tls("SUCCESS"));
      const { key } = await createKey(["notes:read"]);
      expect((await rpc(both, {})).status).toBe(200);
      expect((await rpc(both, { authorization: `Bearer ${key}` })).status).toBe(200);
      await expectChallenge(
        await rpc(both, { authorization: "Bearer mcpk_short" }),
        401,
        "invalid_token",
        /^Malformed API key\.$/,
      );
      await expectChallenge(
        await rpc(both, {
          authorization: `Bearer ${await mintJwt({}, { secret: "another-secret-that-is-long-enough-0123456789" })}`,
        }),
        401,
        "invalid_token",
        /^The token is not valid\.$/,
      );
      await expectChallenge(
        await rpc(both, { authorization: "Bearer opaque-token" }),
        401,
        "invalid_token",
        /not one this server accepts/,
      );
    });
    it("a valid API key does not carry an unverified certificate through", async () => {
      const { key } = await createKey(["notes:read"]);
      const fetchLike = withVars({ AUTH_METHODS: "api_key,mtls" }, tls("FAILED:certificate has expired"));
      await expectChallenge(
        await rpc(fetchLike, { authorization: `Bearer ${key}` }),
        401,
        "invalid_token",
        /not verified/,
      );
    });
    it("an unverified certificate → 401", async () => {
      const fetchLike = withVars({ AUTH_METHODS: "mtls" }, tls("FAILED:self signed certificate"));
      await expectChallenge(await rpc(fetchLike, {}), 401, "invalid_token", /not verified/);
    });
  });

  describe("configuration fails closed and names the variable", () => {
    it.each([
      [{ AUTH_METHODS: "jwt", JWT_ISSUER: "" }, /JWT_ISSUER: required when AUTH_METHODS includes jwt/],
      [{ JWT_SECRET: "short" }, /JWT_SECRET: must be at least 32 bytes/],
      [{ AUTH_METHODS: "introspection" }, /INTROSPECTION_URL: required when AUTH_METHODS includes introspection/],
      [{ AUTH_METHODS: "access" }, /ACCESS_TEAM_DOMAIN: required/],
      [{ AUTH_METHODS: "api_key,passwords" }, /AUTH_METHODS/],
      [{ JWT_JWKS_URL: "http://evil.example/jwks" }, /JWT_JWKS_URL: must be https/],
      [
        { JWT_SECRET: "", JWT_JWKS_URL: "http://127.0.0.1:8791/jwks" },
        /JWT_JWKS_URL: must be https.*ALLOW_INSECURE_HTTP_LOOPBACK/,
      ],
      [{ JWT_ALGORITHMS: "RS256" }, /JWT_ALGORITHMS: applies to JWT_JWKS_URL only/],
      [{ AUTHORIZATION_SERVERS: "http://127.0.0.1:8791" }, /AUTHORIZATION_SERVERS\.0: must be https/],
      [
        {
          AUTH_METHODS: "introspection",
          INTROSPECTION_URL: "https://as.example/introspect",
          INTROSPECTION_CLIENT_ID: "rs",
          INTROSPECTION_CLIENT_SECRET: "s3cret-value",
        },
        /INTROSPECTION_AUDIENCE: required when AUTH_METHODS includes introspection/,
      ],
      [{ ALLOW_INSECURE_HTTP_LOOPBACK: "yes" }, /ALLOW_INSECURE_HTTP_LOOPBACK/],
      [{ JWT_TYP: "at jwt" }, /JWT_TYP: a media type such as at\+jwt/],
      [{ JWT_MAX_LIFETIME_SECONDS: "0" }, /JWT_MAX_LIFETIME_SECONDS/],
      [{ JWT_MAX_LIFETIME_SECONDS: "forever" }, /JWT_MAX_LIFETIME_SECONDS: a whole number/],
      [{ JWT_MAX_LIFETIME_SECONDS: String(400 * 86_400) }, /JWT_MAX_LIFETIME_SECONDS/],
      [
        { AUTH_METHODS: "access", ACCESS_TEAM_DOMAIN: "evil.example.com", ACCESS_AUD: "aud" },
        /access: Access team domain must be a hostname ending in \.cloudflareaccess\.com/,
      ],
    ])("%j → 500 server_misconfigured", async (vars, message) => {
      const response = await rpc(withVars(vars), {});
      expect(response.status).toBe(500);
      const body = await response.json<OAuthErrorBody>();
      expect(body.error).toBe("server_misconfigured");
      expect(body.error_description).toMatch(message);
      expect(body.error_description).not.toContain("dev-only");
    });

    it("names a variable's own problem and a cross-variable one in the same answer", async () => {
      // AUTH_MODE fails its own schema (an enum: zod skips a plain superRefine then); a JWKS URL
      // beside the test's JWT_SECRET breaks "exactly one of them", a rule across variables.
      const vars = { AUTH_MODE: "sometimes", JWT_JWKS_URL: "https://idp.example/jwks" };
      const response = await rpc(withVars(vars), {});
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({
        error: "server_misconfigured",
        error_description:
          'Invalid configuration — AUTH_MODE: Invalid option: expected one of "required"|"optional"|""; ' +
          "JWT_SECRET: set exactly one of JWT_SECRET (HS256) or JWT_JWKS_URL",
      });
    });
  });
});

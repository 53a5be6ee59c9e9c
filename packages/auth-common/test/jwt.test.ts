import { SignJWT, exportSPKI, type JWTPayload } from "jose";
import { beforeEach, describe, expect, it, vi } from "vitest";
import {
  ASYMMETRIC_ALGORITHMS,
  MAX_JWT_LENGTH,
  MIN_HS256_SECRET_BYTES,
  identityFromClaims,
  jwtKeyResolver,
  jwtVerifier,
  looksLikeJwt,
  scopesFromClaims,
  verifyJwt,
  type JwtOptions,
} from "../src/jwt.ts";
import { AuthError } from "../src/errors.ts";
import { FakeFetch, base64url, expectAuthError, rsaKey, signRs256, type SigningKey } from "./fakes.ts";
import { thrown } from "./helpers.ts";

const ISSUER = "https://issuer.example";
const AUDIENCE = "https://mcp.example.com/mcp";
const SECRET = "s".repeat(MIN_HS256_SECRET_BYTES);
const JWKS_URL = new URL("https://issuer.example/.well-known/jwks.json");
const REQUEST = new Request(AUDIENCE);

const UNKNOWN_KEY = "The token is signed with a key this server does not know.";
const BAD_ALG = "The token is signed with an algorithm this server does not allow.";
const NOT_VALID = "The token is not valid.";
const KEYS_DOWN = "The token's signing keys cannot be fetched right now.";

/**
 * The verifier's clock in these tests: a fixed instant well before the real one, so a time check
 * that read the system clock instead would fail (valid tokens would look long expired).
 */
const NOW_MS = Date.parse("2025-01-01T00:00:00Z");
const NOW = NOW_MS / 1000;

const secretOptions: JwtOptions = {
  issuer: ISSUER,
  audience: AUDIENCE,
  algorithms: ["HS256"],
  keys: { kind: "secret", secret: SECRET },
  now: () => NOW_MS,
};

function claims(overrides: JWTPayload = {}): JWTPayload {
  return { iss: ISSUER, aud: AUDIENCE, sub: "user-1", iat: NOW, exp: NOW + 600, ...overrides };
}

/** Drops the named claims (SignJWT would otherwise keep whatever `claims()` set). */
function without(payload: JWTPayload, ...names: string[]): JWTPayload {
  return Object.fromEntries(Object.entries(payload).filter(([name]) => !names.includes(name)));
}

function signHs256(payload: JWTPayload, secret = SECRET, header: { typ?: string; alg?: string } = {}): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: header.alg ?? "HS256", ...(header.typ === undefined ? {} : { typ: header.typ }) })
    .sign(new TextEncoder().encode(secret));
}

function verifySecret(token: string, options: Partial<JwtOptions> = {}) {
  const merged = { ...secretOptions, ...options };
  return verifyJwt(token, merged, jwtKeyResolver(merged.keys));
}

describe("looksLikeJwt", () => {
  it.each([
    ["a three-segment JWS", "a.b.c", true],
    ["an unsecured JWS (empty signature)", "a.b.", true],
    ["two segments", "a.b", false],
    ["four segments", "a.b.c.d", false],
    ["an API key", "mcpk_abc", false],
    ["standard base64 characters", "a+b.c/d.e", false],
    ["an empty header", ".b.c", false],
  ])("%s → %s", (_label, token, expected) => {
    expect(looksLikeJwt(token)).toBe(expected);
  });
});

describe("verifyJwt with an HS256 secret", () => {
  it("accepts a valid token and builds the identity", async () => {
    const payload = await verifySecret(
      await signHs256(claims({ scope: "notes:read notes:write", name: "Ada", client_id: "app-1" })),
    );
    expect(identityFromClaims(payload, "jwt")).toEqual({
      subject: "user-1",
      displayName: "Ada",
      clientId: "app-1",
      issuer: ISSUER,
      scopes: ["notes:read", "notes:write"],
      method: "jwt",
      expiresAt: payload.exp,
    });
  });

  it("reads scopes from an scp array and falls back to sub for the client id", async () => {
    const payload = await verifySecret(await signHs256(claims({ scp: ["notes:read", "notes:read", "profile"] })));
    const identity = identityFromClaims(payload, "jwt");
    expect(identity.scopes).toEqual(["notes:read", "profile"]);
    expect(identity.clientId).toBe("user-1");
    expect(identity.displayName).toBeUndefined();
  });

  it("jwtVerifier claims a JWT bearer and answers undefined for anything else", async () => {
    const verifier = jwtVerifier(secretOptions);
    expect(verifier.method).toBe("jwt");
    expect(await verifier.verify({ request: REQUEST, bearer: undefined })).toBeUndefined();
    expect(await verifier.verify({ request: REQUEST, bearer: "mcpk_not-a-jwt" })).toBeUndefined();
    const identity = await verifier.verify({ request: REQUEST, bearer: await signHs256(claims({ scope: "a" })) });
    expect(identity).toMatchObject({ subject: "user-1", issuer: ISSUER, scopes: ["a"], method: "jwt" });
  });

  it("rejects alg none (an unsecured JWT crafted by hand)", async () => {
    const token = `${base64url('{"alg":"none"}')}.${base64url(JSON.stringify(claims()))}.`;
    expect(looksLikeJwt(token)).toBe(true);
    await expectAuthError(verifySecret(token), "invalid_token", BAD_ALG);
    await expectAuthError(
      jwtVerifier(secretOptions).verify({ request: REQUEST, bearer: token }),
      "invalid_token",
      BAD_ALG,
    );
  });

  it("rejects an algorithm outside the allow-list (HS512 when only HS256 is allowed)", async () => {
    const token = await signHs256(claims(), SECRET, { alg: "HS512" });
    await expectAuthError(verifySecret(token), "invalid_token", BAD_ALG);
  });

  it.each<[string, () => JWTPayload, string]>([
    ["missing exp", () => without(claims(), "exp"), `The token's "exp" claim is not valid here (missing).`],
    ["missing sub", () => without(claims(), "sub"), `The token's "sub" claim is not valid here (missing).`],
    [
      "a wrong iss",
      () => claims({ iss: "https://evil.example" }),
      `The token's "iss" claim is not valid here (check_failed).`,
    ],
    ["a missing iss", () => without(claims(), "iss"), `The token's "iss" claim is not valid here (missing).`],
    [
      "a wrong aud",
      () => claims({ aud: "https://other.example/mcp" }),
      `The token's "aud" claim is not valid here (check_failed).`,
    ],
    ["a missing aud", () => without(claims(), "aud"), `The token's "aud" claim is not valid here (missing).`],
    [
      "nbf beyond the tolerance",
      () => claims({ nbf: NOW + 120 }),
      `The token's "nbf" claim is not valid here (check_failed).`,
    ],
    ["exp in the past beyond the tolerance", () => claims({ exp: NOW - 61 }), "The token has expired."],
  ])("rejects %s", async (_label, payload, message) => {
    await expectAuthError(verifySecret(await signHs256(payload())), "invalid_token", message);
  });

  it("accepts exp and nbf within the 60 s tolerance", async () => {
    await expect(verifySecret(await signHs256(claims({ exp: NOW - 30, nbf: NOW + 30 })))).resolves.toMatchObject({
      sub: "user-1",
    });
  });

  it("honours a configured clock tolerance", async () => {
    const token = await signHs256(claims({ exp: NOW - 30 }));
    await expectAuthError(verifySecret(token, { clockToleranceSeconds: 0 }), "invalid_token", "The token has expired.");
  });

  it("rejects an iat in the future beyond the tolerance, and accepts one within it", async () => {
    await expectAuthError(
      verifySecret(await signHs256(claims({ iat: NOW + 3600 }))),
      "invalid_token",
      `The token's "iat" claim is not valid here (issued in the future).`,
    );
    await expect(verifySecret(await signHs256(claims({ iat: NOW + 30 })))).resolves.toMatchObject({
      sub: "user-1",
    });
  });

  it("reads the time from the injected clock, never the system clock", async () => {
    const systemNow = Math.floor(Date.now() / 1000);
    expect(NOW + 600).toBeLessThan(systemNow - 60);
    // Valid at the injected clock although long expired by the system clock.
    await expect(verifySecret(await signHs256(claims()))).resolves.toMatchObject({ sub: "user-1" });
    // Valid by the system clock, but not yet valid (nbf, iat) at the injected one.
    await expectAuthError(
      verifySecret(await signHs256(claims({ nbf: systemNow, exp: systemNow + 600 }))),
      "invalid_token",
      `The token's "nbf" claim is not valid here (check_failed).`,
    );
    await expectAuthError(
      verifySecret(await signHs256(claims({ iat: systemNow, exp: systemNow + 600 }))),
      "invalid_token",
      `The token's "iat" claim is not valid here (issued in the future).`,
    );
  });

  const TOO_LONG = `The token's "exp" claim is not valid here (lifetime over 86400 s).`;
  it.each<[string, () => JWTPayload]>([
    ["exp: 9e12 (year 287,000)", () => claims({ exp: 9e12 })],
    ["a 100-year token", () => claims({ exp: NOW + 100 * 365 * 86_400 })],
    ["a lifetime one second over a day", () => claims({ exp: NOW + 86_401 })],
    ["an iat two days back with an exp still ahead", () => claims({ iat: NOW - 2 * 86_400, exp: NOW + 600 })],
    ["an absurd iat and exp", () => claims({ iat: -9e15, exp: 9e15 })],
    ["no iat and an exp more than a day ahead", () => without(claims({ exp: NOW + 86_401 }), "iat")],
    ["no iat and exp: 9e12", () => without(claims({ exp: 9e12 }), "iat")],
  ])("rejects %s, naming the exp claim", async (_label, payload) => {
    await expectAuthError(verifySecret(await signHs256(payload())), "invalid_token", TOO_LONG);
  });

  it("accepts a lifetime of exactly the maximum, with and without iat", async () => {
    await expect(verifySecret(await signHs256(claims({ exp: NOW + 86_400 })))).resolves.toBeDefined();
    await expect(verifySecret(await signHs256(without(claims({ exp: NOW + 86_400 }), "iat")))).resolves.toBeDefined();
  });

  it("honours a configured maximum lifetime", async () => {
    const token = await signHs256(claims({ exp: NOW + 3601 }));
    await expectAuthError(
      verifySecret(token, { maxLifetimeSeconds: 3600 }),
      "invalid_token",
      `The token's "exp" claim is not valid here (lifetime over 3600 s).`,
    );
    await expect(verifySecret(token, { maxLifetimeSeconds: 3601 })).resolves.toBeDefined();
    await expect(
      jwtVerifier({ ...secretOptions, maxLifetimeSeconds: 3600 }).verify({ request: REQUEST, bearer: token }),
    ).rejects.toThrow(`The token's "exp" claim is not valid here (lifetime over 3600 s).`);
  });

  it.each([0, -1, Number.NaN, Infinity])("refuses a maximum lifetime of %s at construction", (max) => {
    expect(thrown(() => jwtVerifier({ ...secretOptions, maxLifetimeSeconds: max }))).toEqual(
      new Error("JWT maximum lifetime must be positive"),
    );
  });

  it("through the verifier, exp: 9e12 is refused before it can reach the identity", async () => {
    await expectAuthError(
      jwtVerifier(secretOptions).verify({ request: REQUEST, bearer: await signHs256(claims({ exp: 9e12 })) }),
      "invalid_token",
      TOO_LONG,
    );
  });

  it("requires the configured typ", async () => {
    const typ = "at+jwt";
    await expectAuthError(
      verifySecret(await signHs256(claims(), SECRET, { typ: "JWT" }), { typ }),
      "invalid_token",
      `The token's "typ" claim is not valid here (check_failed).`,
    );
    await expectAuthError(
      verifySecret(await signHs256(claims()), { typ }),
      "invalid_token",
      `The token's "typ" claim is not valid here (check_failed).`,
    );
    await expect(verifySecret(await signHs256(claims(), SECRET, { typ: "at+jwt" }), { typ })).resolves.toBeDefined();
  });

  it.each([undefined, "JWT", "at+jwt", "application/at+jwt", "anything"])(
    "does not check typ when none is configured (typ %s accepted)",
    async (typ) => {
      const token = await signHs256(claims(), SECRET, typ === undefined ? {} : { typ });
      await expect(verifySecret(token)).resolves.toMatchObject({ sub: "user-1" });
    },
  );

  it("matches a configured typ the way RFC 9068 §4 allows (case-insensitive, application/ prefix optional)", async () => {
    for (const typ of ["at+jwt", "AT+JWT", "application/at+jwt"]) {
      await expect(verifySecret(await signHs256(claims(), SECRET, { typ }), { typ: "at+jwt" })).resolves.toBeDefined();
    }
  });

  it("rejects a tampered payload", async () => {
    const [header, , signature] = (await signHs256(claims())).split(".");
    const forged = `${header ?? ""}.${base64url(JSON.stringify(claims({ sub: "admin" })))}.${signature ?? ""}`;
    await expectAuthError(verifySecret(forged), "invalid_token", NOT_VALID);
  });

  it("rejects a signature made with another secret", async () => {
    const token = await signHs256(claims(), "t".repeat(MIN_HS256_SECRET_BYTES));
    await expectAuthError(verifySecret(token), "invalid_token", NOT_VALID);
  });

  it("rejects a 1 MB token before any crypto", async () => {
    const token = `${"a".repeat(1024 * 1024)}.b.c`;
    const key = vi.fn(() => {
      throw new Error("the key must not be consulted");
    });
    await expectAuthError(verifyJwt(token, secretOptions, key), "invalid_token", "The token is too long.");
    await expectAuthError(
      verifyJwt("x".repeat(MAX_JWT_LENGTH + 1), secretOptions, key),
      "invalid_token",
      "The token is too long.",
    );
    expect(key).not.toHaveBeenCalled();
  });

  it.each(["not-a-jwt", "a.b", "", "a.b.c.d", "Ã.b.c"])("rejects the non-JWT string %j", async (token) => {
    await expectAuthError(verifySecret(token), "invalid_token", "The token is not a JWT.");
  });

  it("rejects three base64url segments that are not JSON", async () => {
    await expectAuthError(verifySecret("abc.def.ghi"), "invalid_token", NOT_VALID);
  });

  it("refuses a secret shorter than 32 bytes at construction", () => {
    const short = { ...secretOptions, keys: { kind: "secret" as const, secret: "s".repeat(31) } };
    expect(thrown(() => jwtVerifier(short))).toEqual(new Error("HS256 secret must be at least 32 bytes"));
    expect(thrown(() => jwtKeyResolver(short.keys))).toBeInstanceOf(Error);
  });

  it("never echoes the token in an error message", async () => {
    const token = await signHs256(claims({ aud: "https://other.example" }));
    const error = await expectAuthError(
      verifySecret(token),
      "invalid_token",
      `The token's "aud" claim is not valid here (check_failed).`,
    );
    expect(error.message).not.toContain(token.split(".")[1]);
  });
});

describe("scopesFromClaims", () => {
  it.each<[string, JWTPayload, string[]]>([
    ["a scope string", { scope: "a b a" }, ["a", "b"]],
    ["an scp array", { scp: ["a", "b"] }, ["a", "b"]],
    ["an scp string", { scp: "a b" }, ["a", "b"]],
    ["scope wins over scp", { scope: "a", scp: ["b"] }, ["a"]],
    ["an array with a non-string", { scp: ["a", 1] }, []],
    ["no scope claim", {}, []],
  ])("%s", (_label, payload, expected) => {
    expect(scopesFromClaims(payload)).toEqual(expected);
  });
});

describe("verifyJwt with a JWKS", () => {
  let keyA: SigningKey;
  let keyB: SigningKey;
  let keyC: SigningKey;
  let jwks: { keys: object[] };
  let fake: FakeFetch;
  /** The verifier's clock: token times, the refetch cooldown and the cache age all read it. */
  let clockMs: number;

  beforeEach(async () => {
    clockMs = NOW_MS;
    [keyA, keyB, keyC] = await Promise.all([rsaKey("a"), rsaKey("b"), rsaKey("c")]);
    jwks = { keys: [keyA.jwk] };
    fake = new FakeFetch(() => Response.json(jwks));
  });

  function jwksOptions(algorithms: readonly string[] = ASYMMETRIC_ALGORITHMS): JwtOptions {
    return {
      ...secretOptions,
      algorithms,
      keys: { kind: "jwks", url: JWKS_URL, fetch: fake.fetch },
      now: () => clockMs,
    };
  }

  /** Answers when released, so many verifications can be in flight at once. */
  function gatedAnswer(answer: () => Response): () => void {
    const { promise, resolve } = Promise.withResolvers<undefined>();
    fake.answer = async () => {
      await promise;
      return answer();
    };
    return () => {
      resolve(undefined);
    };
  }

  it("fetches the key set once for the same kid", async () => {
    const verifier = jwtVerifier(jwksOptions());
    const token = await signRs256(claims({ scope: "notes:read" }), keyA);
    expect(await verifier.verify({ request: REQUEST, bearer: token })).toMatchObject({ subject: "user-1" });
    expect(await verifier.verify({ request: REQUEST, bearer: token })).toMatchObject({ subject: "user-1" });
    expect(fake.calls.map((call) => [call.method, call.url])).toEqual([["GET", JWKS_URL.href]]);
  });

  it("a known kid never refetches while the set is fresh, past the cooldown too; a stale set is fetched once", async () => {
    const verifier = jwtVerifier(jwksOptions());
    for (let step = 0; step < 19; step++) {
      const token = await signRs256(claims({ iat: clockMs / 1000, exp: clockMs / 1000 + 600 }), keyA);
      expect(await verifier.verify({ request: REQUEST, bearer: token })).toMatchObject({ subject: "user-1" });
      clockMs += 31_000;
    }
    expect(fake.calls).toHaveLength(1);
    // 19 × 31 s = 589 s; 11 s later the set is 10 minutes old and is fetched again, once.
    clockMs += 11_000;
    const token = await signRs256(claims({ iat: clockMs / 1000, exp: clockMs / 1000 + 600 }), keyA);
    await Promise.all(Array.from({ length: 10 }, () => verifier.verify({ request: REQUEST, bearer: token })));
    expect(fake.calls).toHaveLength(2);
  });

  it("refetches once for an unknown kid, then not again within the cooldown", async () => {
    const verifier = jwtVerifier(jwksOptions());
    await verifier.verify({ request: REQUEST, bearer: await signRs256(claims(), keyA) });
    expect(fake.calls).toHaveLength(1);

    // Key rotation: after the cooldown an unknown kid triggers one refetch, which finds it.
    jwks = { keys: [keyA.jwk, keyB.jwk] };
    clockMs += 31_000;
    const rotated = await verifier.verify({ request: REQUEST, bearer: await signRs256(claims(), keyB) });
    expect(rotated).toMatchObject({ subject: "user-1" });
    expect(fake.calls).toHaveLength(2);

    // Within the cooldown another unknown kid does not fetch again.
    const unknown = await signRs256(claims(), keyC);
    await expectAuthError(verifier.verify({ request: REQUEST, bearer: unknown }), "invalid_token", UNKNOWN_KEY);
    await expectAuthError(verifier.verify({ request: REQUEST, bearer: unknown }), "invalid_token", UNKNOWN_KEY);
    expect(fake.calls).toHaveLength(2);

    // After the cooldown it may look exactly once more (and still not find it).
    clockMs += 31_000;
    await expectAuthError(verifier.verify({ request: REQUEST, bearer: unknown }), "invalid_token", UNKNOWN_KEY);
    await expectAuthError(verifier.verify({ request: REQUEST, bearer: unknown }), "invalid_token", UNKNOWN_KEY);
    expect(fake.calls).toHaveLength(3);
  });

  it("50 concurrent unknown-kid tokens after the cooldown cause one fetch, shared by all", async () => {
    const verifier = jwtVerifier(jwksOptions());
    await verifier.verify({ request: REQUEST, bearer: await signRs256(claims(), keyA) });
    clockMs += 31_000;
    const release = gatedAnswer(() => Response.json({ keys: [keyA.jwk, keyB.jwk] }));
    const [rotated, unknown] = await Promise.all([signRs256(claims(), keyB), signRs256(claims(), keyC)]);
    const results = Array.from({ length: 50 }, (_, index) =>
      verifier.verify({ request: REQUEST, bearer: index % 2 === 0 ? rotated : unknown }).then(
        (identity) => identity?.subject,
        (error: unknown) => (error instanceof AuthError ? error.message : error),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 30));
    release();
    const settled = await Promise.all(results);
    expect(fake.calls).toHaveLength(2);
    // The callers that waited for the shared fetch saw its result: the rotated key is found.
    expect(settled.filter((value) => value === "user-1")).toHaveLength(25);
    expect(settled.filter((value) => value === UNKNOWN_KEY)).toHaveLength(25);
  });

  it("50 concurrent tokens on a cold isolate cause one fetch", async () => {
    const verifier = jwtVerifier(jwksOptions());
    const release = gatedAnswer(() => Response.json(jwks));
    const token = await signRs256(claims(), keyA);
    const results = Array.from({ length: 50 }, () => verifier.verify({ request: REQUEST, bearer: token }));
    await new Promise((resolve) => setTimeout(resolve, 30));
    release();
    expect(await Promise.all(results)).toHaveLength(50);
    expect(fake.calls).toHaveLength(1);
  });

  it("rejects an unknown kid on the very first request after one fetch", async () => {
    const verifier = jwtVerifier(jwksOptions());
    await expectAuthError(
      verifier.verify({ request: REQUEST, bearer: await signRs256(claims(), keyC) }),
      "invalid_token",
      UNKNOWN_KEY,
    );
    expect(fake.calls).toHaveLength(1);
  });

  it("rejects HS256 signed with the RSA public key's bytes (algorithm confusion)", async () => {
    const pem = await exportSPKI(keyA.publicKey);
    const confused = await new SignJWT(claims())
      .setProtectedHeader({ alg: "HS256", kid: keyA.kid })
      .sign(new TextEncoder().encode(pem));
    await expectAuthError(
      jwtVerifier(jwksOptions()).verify({ request: REQUEST, bearer: confused }),
      "invalid_token",
      BAD_ALG,
    );
    // HS256 can never be configured for a key set: the verifier refuses to be built.
    expect(() => jwtVerifier(jwksOptions(["RS256", "HS256"]))).toThrow(
      "JWT algorithms for a JWKS must be among RS256, PS256, ES256, EdDSA",
    );
  });

  it("rejects a token signed by another key under a known kid", async () => {
    const impostor = { ...keyC, kid: keyA.kid };
    await expectAuthError(
      jwtVerifier(jwksOptions()).verify({ request: REQUEST, bearer: await signRs256(claims(), impostor) }),
      "invalid_token",
      NOT_VALID,
    );
  });

  const UPSTREAM = "upstream-secret-body";
  /** Every way a key server can fail; each must be 503 + Retry-After, never a 401 verdict. */
  const failures: [string, () => Response | Promise<Response>][] = [
    ["the fetch throws (network)", () => Promise.reject(new TypeError("fetch failed"))],
    ["the fetch times out", () => Promise.reject(new DOMException("The operation timed out.", "TimeoutError"))],
    ["500", () => new Response(UPSTREAM, { status: 500 })],
    [
      "a redirect (not followed)",
      () => new Response(null, { status: 302, headers: { location: "https://x.example" } }),
    ],
    [
      "200 with an HTML error page",
      () => new Response(`<html>${UPSTREAM}</html>`, { headers: { "content-type": "text/html" } }),
    ],
    ["200 with an empty body", () => new Response("")],
    ["200 with JSON null", () => Response.json(null)],
    ["200 with a JSON string", () => Response.json(UPSTREAM)],
    ["200 with a JSON array", () => Response.json([{ kty: "RSA" }])],
    ["200 with JSON without keys", () => Response.json({ not: "a key set", UPSTREAM })],
    ["200 with keys not an array", () => Response.json({ keys: UPSTREAM })],
    ["200 with keys that are not objects", () => Response.json({ keys: [1, UPSTREAM] })],
    ["200 with invalid UTF-8", () => new Response(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))],
    ["200 with a 1 MB body", () => new Response(`{"keys":[],"x":"${"a".repeat(1024 * 1024)}"}`)],
  ];

  it.each(failures)(
    "%s → temporarily_unavailable with Retry-After, one probe per 5 s, then recovery",
    async (_label, answer) => {
      const verifier = jwtVerifier(jwksOptions());
      const token = await signRs256(claims(), keyA);
      fake.answer = answer;
      for (let attempt = 0; attempt < 10; attempt++) {
        const error = await expectAuthError(
          verifier.verify({ request: REQUEST, bearer: token }),
          "temporarily_unavailable",
          KEYS_DOWN,
        );
        expect(error.retryAfterSeconds).toBe(5 - (attempt % 5));
        expect(JSON.stringify([error.message, error.cause])).not.toContain(UPSTREAM);
        clockMs += 1000;
      }
      // 10 requests over 10 s while it fails: one probe per 5 s.
      expect(fake.calls).toHaveLength(2);
      // At the next probe it succeeds, and the set is used from then on.
      fake.answer = () => Response.json(jwks);
      await Promise.all(
        Array.from({ length: 5 }, async () => {
          expect(await verifier.verify({ request: REQUEST, bearer: token })).toMatchObject({ subject: "user-1" });
        }),
      );
      expect(fake.calls).toHaveLength(3);
    },
  );

  it("50 concurrent requests while the key server is down cause one fetch", async () => {
    const verifier = jwtVerifier(jwksOptions());
    const release = gatedAnswer(() => new Response("down", { status: 503 }));
    const token = await signRs256(claims(), keyA);
    const results = Array.from({ length: 50 }, () =>
      expectAuthError(verifier.verify({ request: REQUEST, bearer: token }), "temporarily_unavailable", KEYS_DOWN),
    );
    await new Promise((resolve) => setTimeout(resolve, 30));
    release();
    await Promise.all(results);
    expect(fake.calls).toHaveLength(1);
  });

  it("an unknown kid while a refetch failed is 503, and a known kid keeps working from the cached set", async () => {
    const verifier = jwtVerifier(jwksOptions());
    const known = await signRs256(claims(), keyA);
    await verifier.verify({ request: REQUEST, bearer: known });
    clockMs += 31_000;
    fake.answer = () => new Response("down", { status: 500 });
    const unknown = await signRs256(claims(), keyB);
    await expectAuthError(verifier.verify({ request: REQUEST, bearer: unknown }), "temporarily_unavailable", KEYS_DOWN);
    await expectAuthError(verifier.verify({ request: REQUEST, bearer: unknown }), "temporarily_unavailable", KEYS_DOWN);
    expect(await verifier.verify({ request: REQUEST, bearer: known })).toMatchObject({ subject: "user-1" });
    expect(fake.calls).toHaveLength(2);
  });

  it.each<[string, () => object]>([
    ["a key that cannot be imported", () => ({ ...keyA.jwk, n: "AQAB" })],
    [
      "a published private key",
      () => ({ ...keyA.jwk, d: "AQAB", p: "AQAB", q: "AQAB", dp: "AQAB", dq: "AQAB", qi: "AQAB" }),
    ],
  ])("a token whose kid names %s → temporarily_unavailable (the key server's fault)", async (_label, key) => {
    jwks = { keys: [key()] };
    await expectAuthError(
      jwtVerifier(jwksOptions()).verify({ request: REQUEST, bearer: await signRs256(claims(), keyA) }),
      "temporarily_unavailable",
      KEYS_DOWN,
    );
  });

  it("asks for a key set, follows no redirect and sets a timeout", async () => {
    await jwtVerifier(jwksOptions()).verify({ request: REQUEST, bearer: await signRs256(claims(), keyA) });
    const [call] = fake.calls;
    expect(call?.headers.get("accept")).toBe("application/jwk-set+json, application/json");
    expect(call?.signal).toBeInstanceOf(AbortSignal);
  });
});

describe("identityFromClaims never turns a signed but odd token into a 500", () => {
  it.each([
    ["an empty sub", { sub: "" }, /claims do not describe a caller \(subject\)/],
    ["a name over 256 characters", { name: "n".repeat(300) }, /claims do not describe a caller \(displayName\)/],
    ["a malformed scope", { scope: 'notes:read a"b' }, /"scope" claim is malformed/],
    ["the reserved anonymous sub", { sub: "anonymous" }, /claims do not describe a caller \(subject\)/],
    ["a sub with a control character", { sub: "alice\u0000" }, /claims do not describe a caller \(subject\)/],
    ["an exp past year 9999", { exp: 9e12 }, /claims do not describe a caller \(expiresAt\)/],
  ])("%s → invalid_token", (_name, extra, message) => {
    const claims = { iss: ISSUER, sub: "alice", exp: Math.floor(Date.now() / 1000) + 60, ...extra };
    let caught: unknown;
    try {
      identityFromClaims(claims, "jwt");
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AuthError);
    expect((caught as AuthError).code).toBe("invalid_token");
    expect((caught as AuthError).message).toMatch(message);
  });

  it("floors a fractional exp instead of failing", () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    expect(identityFromClaims({ iss: ISSUER, sub: "alice", exp: exp + 0.5 }, "jwt").expiresAt).toBe(exp);
  });
});

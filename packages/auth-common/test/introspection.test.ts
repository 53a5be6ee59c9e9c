import { describe, expect, it } from "vitest";
import { createAuthenticator } from "../src/authenticate.ts";
import {
  INTROSPECTION_NEGATIVE_TTL_SECONDS,
  MAX_INTROSPECTION_RESPONSE_BYTES,
  clientSecretBasic,
  introspectionVerifier,
  type IntrospectionOptions,
} from "../src/introspection.ts";
import { AuthError } from "../src/errors.ts";
import { FakeFetch, expectAuthError, type RecordedCall } from "./fakes.ts";
import { thrown } from "./helpers.ts";

const ENDPOINT = "https://auth.example/oauth2/introspect";
const REQUEST = new Request("https://mcp.example.com/mcp");
const T0 = Date.UTC(2026, 0, 1);
const T0_SECONDS = T0 / 1000;
const TOKEN = "opaque-token-abc123";
const UNAVAILABLE = "The token introspection service is unavailable right now.";

/** A fake endpoint answering `body` with `status`; the clock is a mutable `time` (ms). */
function setup(
  body: unknown = { active: true, sub: "user-1", exp: T0_SECONDS + 3600 },
  overrides: Partial<IntrospectionOptions> = {},
  status = 200,
) {
  const clock = { time: T0 };
  const fake = new FakeFetch(() =>
    typeof body === "string" ? new Response(body, { status }) : Response.json(body, { status }),
  );
  const verifier = introspectionVerifier({
    url: ENDPOINT,
    clientId: "mcp-server",
    clientSecret: "s3cret value",
    fetch: fake.fetch,
    now: () => clock.time,
    ...overrides,
  });
  const verify = (bearer = TOKEN) => verifier.verify({ request: REQUEST, bearer });
  return { clock, fake, verifier, verify };
}

describe("clientSecretBasic", () => {
  it("form-urlencodes id and secret before base64 (RFC 6749 §2.3.1)", () => {
    expect(clientSecretBasic("mcp-server", "s3cret value")).toBe(`Basic ${btoa("mcp-server:s3cret+value")}`);
    expect(clientSecretBasic("a:b", "p@ss/wörd&=")).toBe(`Basic ${btoa("a%3Ab:p%40ss%2Fw%C3%B6rd%26%3D")}`);
  });
});

describe("introspectionVerifier construction", () => {
  it.each<[string, Partial<IntrospectionOptions>]>([
    ["an http endpoint", { url: "http://auth.example/introspect" }],
    ["credentials in the URL", { url: "https://user:pw@auth.example/introspect" }],
    ["a negative cacheSeconds", { cacheSeconds: -1 }],
    ["a NaN maxCacheEntries", { maxCacheEntries: Number.NaN }],
  ])("refuses %s", (_label, overrides) => {
    expect(thrown(() => setup(undefined, overrides))).toBeInstanceOf(Error);
  });

  it("allows plain HTTP on a loopback host only with the insecure-loopback opt-in", () => {
    for (const url of ["http://127.0.0.1:9000/introspect", new URL("http://localhost:9000/introspect")]) {
      expect(() => setup(undefined, { url, allowInsecureLoopback: true })).not.toThrow();
      expect(thrown(() => setup(undefined, { url }))).toHaveProperty(
        "message",
        "Introspection URL must be https without credentials (plain http only on a loopback host, with ALLOW_INSECURE_HTTP_LOOPBACK=true)",
      );
    }
    expect(
      thrown(() => setup(undefined, { url: "http://10.0.0.1/introspect", allowInsecureLoopback: true })),
    ).toBeInstanceOf(Error);
  });
});

describe("introspectionVerifier: the request", () => {
  it("POSTs a form with the token and hint, client_secret_basic, JSON accept and a timeout signal", async () => {
    const { fake, verify } = setup();
    await verify("tok+en/with=chars");
    expect(fake.calls).toHaveLength(1);
    const call = fake.calls[0] as RecordedCall;
    expect(call.url).toBe(ENDPOINT);
    expect(call.method).toBe("POST");
    expect(call.headers.get("content-type")).toBe("application/x-www-form-urlencoded");
    expect(call.headers.get("accept")).toBe("application/json");
    expect(call.headers.get("authorization")).toBe(`Basic ${btoa("mcp-server:s3cret+value")}`);
    expect(call.body).toBe("token=tok%2Ben%2Fwith%3Dchars&token_type_hint=access_token");
    expect(new URLSearchParams(call.body).get("token")).toBe("tok+en/with=chars");
    expect(call.signal).toBeInstanceOf(AbortSignal);
  });

  it("does not claim a request without a bearer", async () => {
    const { fake, verifier } = setup();
    expect(await verifier.verify({ request: REQUEST, bearer: undefined })).toBeUndefined();
    expect(fake.calls).toEqual([]);
  });
});

describe("introspectionVerifier: active tokens", () => {
  it("builds the identity from sub, username, client_id, scope and exp", async () => {
    const { verify } = setup({
      active: true,
      sub: "user-1",
      username: "ada",
      client_id: "app-7",
      scope: "notes:read notes:write",
      exp: T0_SECONDS + 3600,
      token_type: "Bearer",
    });
    expect(await verify()).toEqual({
      subject: "user-1",
      displayName: "ada",
      clientId: "app-7",
      issuer: new URL(ENDPOINT).origin,
      scopes: ["notes:read", "notes:write"],
      method: "introspection",
      expiresAt: T0_SECONDS + 3600,
    });
  });

  it("falls back to username, marked as such, for the subject and the subject for the client id", async () => {
    const { verify } = setup({ active: true, username: "ada" });
    expect(await verify()).toEqual({
      subject: "username:ada",
      displayName: "ada",
      clientId: "username:ada",
      issuer: new URL(ENDPOINT).origin,
      scopes: [],
      method: "introspection",
    });
  });

  it("names the issuer the server states, or the pinned one", async () => {
    expect(await setup({ active: true, sub: "u", iss: "https://as.example" }).verify()).toMatchObject({
      issuer: "https://as.example",
    });
    const pinned = setup({ active: true, sub: "u", iss: "https://as.example" }, { issuer: "https://as.example" });
    expect(await pinned.verify()).toMatchObject({ issuer: "https://as.example" });
  });

  it("refuses a subject no credential may assert, as an invalid token", async () => {
    for (const sub of ["anonymous", "alice\nadmin"]) {
      const caught = await setup({ active: true, sub })
        .verify()
        .catch((error: unknown) => error);
      expect(caught).toBeInstanceOf(AuthError);
      expect(caught).toMatchObject({ code: "invalid_token" });
    }
  });

  it.each<[string, object, Partial<IntrospectionOptions>]>([
    [
      "a string aud equal to the audience",
      { aud: "https://mcp.example.com/mcp" },
      { audience: "https://mcp.example.com/mcp" },
    ],
    [
      "an aud array including the audience",
      { aud: ["x", "https://mcp.example.com/mcp"] },
      { audience: "https://mcp.example.com/mcp" },
    ],
    ["a matching iss", { iss: "https://auth.example" }, { issuer: "https://auth.example" }],
    ["any iss when no issuer is configured", { iss: "https://elsewhere.example" }, {}],
  ])("accepts %s", async (_label, extra, options) => {
    const { verify } = setup({ active: true, sub: "user-1", ...extra }, options);
    expect(await verify()).toMatchObject({ subject: "user-1" });
  });
});

describe("introspectionVerifier: rejected tokens", () => {
  it.each<[string, object, Partial<IntrospectionOptions>, string]>([
    ["active: false", { active: false }, {}, "The token is not active."],
    ["an exp in the past", { active: true, sub: "u", exp: T0_SECONDS - 1 }, {}, "The token has expired."],
    ["an exp of exactly now", { active: true, sub: "u", exp: T0_SECONDS }, {}, "The token has expired."],
    [
      "a wrong string aud",
      { active: true, sub: "u", aud: "https://other.example" },
      { audience: "https://mcp.example.com/mcp" },
      "The token is not meant for this server (audience).",
    ],
    [
      "an aud array without the audience",
      { active: true, sub: "u", aud: ["https://other.example"] },
      { audience: "https://mcp.example.com/mcp" },
      "The token is not meant for this server (audience).",
    ],
    [
      "no aud when an audience is configured",
      { active: true, sub: "u" },
      { audience: "https://mcp.example.com/mcp" },
      "The token is not meant for this server (audience).",
    ],
    [
      "a wrong iss",
      { active: true, sub: "u", iss: "https://evil.example" },
      { issuer: "https://auth.example" },
      "The token was issued by an issuer this server does not trust.",
    ],
    [
      "no iss although an issuer is configured",
      { active: true, sub: "u" },
      { issuer: "https://auth.example" },
      "The token's introspection answer does not name its issuer.",
    ],
    [
      "an iss differing only in a trailing slash",
      { active: true, sub: "u", iss: "https://auth.example/" },
      { issuer: "https://auth.example" },
      "The token was issued by an issuer this server does not trust.",
    ],
    ["no sub and no username", { active: true, client_id: "app" }, {}, "The token has no subject."],
    ["an empty sub and no username", { active: true, sub: "" }, {}, "The token has no subject."],
    ["a malformed scope", { active: true, sub: "u", scope: 'a"b' }, {}, "The token's scopes are not valid."],
    [
      "a subject longer than 256 characters",
      { active: true, sub: "u".repeat(257) },
      {},
      "The token's introspection data do not form a usable identity.",
    ],
  ])("rejects %s with invalid_token", async (_label, body, options, message) => {
    const { verify } = setup(body, options);
    const error = await expectAuthError(verify(), "invalid_token", message);
    expect(error.message).not.toContain(TOKEN);
  });
});

describe("introspectionVerifier: failures upstream fail closed", () => {
  const MARKER = "UPSTREAM-BODY-MARKER-7f3a";

  it.each<[string, unknown, number]>([
    ["a 500", `internal error ${MARKER}`, 500],
    ["a 401 (our credentials rejected)", { error: "invalid_client", error_description: MARKER }, 401],
    ["a 302 redirect", MARKER, 302],
    ["invalid JSON", `{not json ${MARKER}`, 200],
    ["JSON without active", { sub: MARKER }, 200],
    ["active as a string", { active: "true", sub: MARKER }, 200],
    ["a JSON array", [MARKER], 200],
    ["an oversized body", `{"active":true,"sub":"${MARKER}${"x".repeat(70_000)}"}`, 200],
  ])("answers temporarily_unavailable for %s, without the upstream body", async (_label, body, status) => {
    const { verify } = setup(body, {}, status);
    const error = await expectAuthError(verify(), "temporarily_unavailable", UNAVAILABLE);
    expect(error.retryAfterSeconds).toBe(30);
    expect(error.message).not.toContain(MARKER);
    expect(JSON.stringify(error.cause)).not.toContain(MARKER);
  });

  it("reads a 10 MB answer only up to the limit, as a stream, and cancels the rest", async () => {
    const { fake, verify } = setup();
    const meter = { pulled: 0, cancelled: false };
    fake.answer = () =>
      new Response(
        new ReadableStream<Uint8Array>(
          {
            pull(controller) {
              if (meter.pulled >= 10 * 1024 * 1024) {
                controller.close();
                return;
              }
              meter.pulled += 16 * 1024;
              controller.enqueue(new TextEncoder().encode(" ".repeat(16 * 1024)));
            },
            cancel() {
              meter.cancelled = true;
            },
          },
          { highWaterMark: 0 },
        ),
      );
    await expectAuthError(verify(), "temporarily_unavailable", UNAVAILABLE);
    expect(meter.pulled).toBeLessThanOrEqual(MAX_INTROSPECTION_RESPONSE_BYTES + 16 * 1024);
    expect(meter.cancelled).toBe(true);
  });

  it("answers temporarily_unavailable when fetch throws (network error), and does not cache it", async () => {
    const { fake, verify } = setup();
    fake.answer = () => Promise.reject(new TypeError(`fetch failed ${MARKER}`));
    const error = await expectAuthError(verify(), "temporarily_unavailable", UNAVAILABLE);
    expect(error.message).not.toContain(MARKER);
    fake.answer = () => Response.json({ active: true, sub: "user-1" });
    expect(await verify()).toMatchObject({ subject: "user-1" });
    expect(fake.calls).toHaveLength(2);
  });

  it("aborts after the timeout and answers temporarily_unavailable", async () => {
    const { fake, verify } = setup(undefined, { timeoutSeconds: 0.05 });
    fake.answer = (call) =>
      new Promise((_resolve, reject) => {
        call.signal?.addEventListener("abort", () => {
          reject(call.signal?.reason instanceof Error ? call.signal.reason : new Error("aborted"));
        });
      });
    await expectAuthError(verify(), "temporarily_unavailable", UNAVAILABLE);
  });

  it("behind createAuthenticator an outage is a 503 with Retry-After and no upstream body", async () => {
    const { verifier } = setup(`boom ${MARKER}`, {}, 500);
    const gate = createAuthenticator({ pattern: "token-validation", verifiers: [verifier], mode: "required" });
    const response = await gate(new Request(REQUEST.url, { headers: { authorization: `Bearer ${TOKEN}` } }));
    expect(response).toBeInstanceOf(Response);
    if (!(response instanceof Response)) throw new Error("unreachable");
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("30");
    expect(response.headers.has("www-authenticate")).toBe(false);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ error: "temporarily_unavailable", error_description: UNAVAILABLE });
    expect(text).not.toContain(MARKER);
    expect(text).not.toContain(TOKEN);
  });
});

describe("introspectionVerifier: cache", () => {
  it("reuses an active answer: a cache hit does not fetch again", async () => {
    const { fake, verify } = setup();
    const first = await verify();
    expect(await verify()).toEqual(first);
    expect(fake.calls).toHaveLength(1);
  });

  it("keys the cache by token: another token fetches", async () => {
    const { fake, verify } = setup();
    await verify("token-a");
    await verify("token-b");
    expect(fake.calls).toHaveLength(2);
  });

  it("refetches once cacheSeconds have passed (injected clock)", async () => {
    const { clock, fake, verify } = setup(undefined, { cacheSeconds: 30 });
    await verify();
    clock.time = T0 + 29_999;
    await verify();
    expect(fake.calls).toHaveLength(1);
    clock.time = T0 + 30_000;
    await verify();
    expect(fake.calls).toHaveLength(2);
  });

  it("never caches past the token's exp", async () => {
    const { clock, fake, verify } = setup({ active: true, sub: "u", exp: T0_SECONDS + 10 }, { cacheSeconds: 300 });
    await verify();
    clock.time = T0 + 9_999;
    await verify();
    expect(fake.calls).toHaveLength(1);
    clock.time = T0 + 10_000;
    await expectAuthError(verify(), "invalid_token", "The token has expired.");
    expect(fake.calls).toHaveLength(2);
  });

  it("does not cache when cacheSeconds is 0", async () => {
    const { fake, verify } = setup(undefined, { cacheSeconds: 0 });
    await verify();
    await verify();
    expect(fake.calls).toHaveLength(2);
  });

  it(`remembers active: false for ${INTROSPECTION_NEGATIVE_TTL_SECONDS} s`, async () => {
    const { clock, fake, verify } = setup({ active: false });
    await expectAuthError(verify(), "invalid_token", "The token is not active.");
    clock.time = T0 + INTROSPECTION_NEGATIVE_TTL_SECONDS * 1000 - 1;
    await expectAuthError(verify(), "invalid_token", "The token is not active.");
    expect(fake.calls).toHaveLength(1);
    clock.time = T0 + INTROSPECTION_NEGATIVE_TTL_SECONDS * 1000;
    await expectAuthError(verify(), "invalid_token", "The token is not active.");
    expect(fake.calls).toHaveLength(2);
  });

  it("a negative answer does not outlive a later activation beyond the negative TTL", async () => {
    const { clock, fake, verify } = setup({ active: false });
    await expectAuthError(verify(), "invalid_token", "The token is not active.");
    fake.answer = () => Response.json({ active: true, sub: "user-1" });
    clock.time = T0 + INTROSPECTION_NEGATIVE_TTL_SECONDS * 1000;
    expect(await verify()).toMatchObject({ subject: "user-1" });
  });

  it("evicts the oldest entry when over maxCacheEntries", async () => {
    const { fake, verify } = setup(undefined, { maxCacheEntries: 2 });
    await verify("a");
    await verify("b");
    await verify("c"); // evicts "a"
    expect(fake.calls).toHaveLength(3);
    await verify("b");
    await verify("c");
    expect(fake.calls).toHaveLength(3);
    await verify("a");
    expect(fake.calls).toHaveLength(4);
  });
});

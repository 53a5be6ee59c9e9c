import { describe, expect, it } from "vitest";
import { createAuthenticator } from "../src/authenticate.ts";
import { mtlsVerifier, normalizeFingerprint, type MtlsOptions } from "../src/mtls.ts";
import { expectAuthError } from "./fakes.ts";
import { thrown } from "./helpers.ts";

const FINGERPRINT = "a".repeat(32) + "0123456789abcdef".repeat(2);
const OTHER = "b".repeat(64);
const DN = "CN=agent-7,O=Example Corp,C=GB";
const NOT_VERIFIED = "The client certificate was not verified.";
const NOT_ALLOWED = "The client certificate is not one this server accepts.";

/** The `tlsClientAuth` Cloudflare sets for a verified certificate (fields as in workers-types). */
function verifiedAuth(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    certPresented: "1",
    certVerified: "SUCCESS",
    certRevoked: "0",
    certIssuerDN: "CN=Example CA",
    certSubjectDN: DN,
    certIssuerDNRFC2253: "CN=Example CA",
    certSubjectDNRFC2253: DN,
    certIssuerDNLegacy: "/CN=Example CA",
    certSubjectDNLegacy: "/CN=agent-7",
    certSerial: "0A1B2C",
    certIssuerSerial: "01",
    certSKI: "",
    certIssuerSKI: "",
    certFingerprintSHA1: "c".repeat(40),
    certFingerprintSHA256: FINGERPRINT,
    certNotBefore: "Jan  1 00:00:00 2026 GMT",
    certNotAfter: "Jan  1 00:00:00 2027 GMT",
    ...overrides,
  };
}

/** A request carrying `cf` the way the Workers runtime attaches it. */
function requestWithCf(cf: unknown): Request {
  const request = new Request("https://mcp.example.com/mcp");
  if (cf !== undefined) Object.defineProperty(request, "cf", { value: cf });
  return request;
}

function verify(cf: unknown, options: Partial<MtlsOptions> = {}) {
  return mtlsVerifier({ scopes: ["notes:read"], ...options }).verify({ request: requestWithCf(cf), bearer: undefined });
}

describe("normalizeFingerprint", () => {
  it.each<[string, string | undefined]>([
    [FINGERPRINT, FINGERPRINT],
    [FINGERPRINT.toUpperCase(), FINGERPRINT],
    [FINGERPRINT.match(/../g)?.join(":") ?? "", FINGERPRINT],
    [` ${FINGERPRINT} `, FINGERPRINT],
    ["a".repeat(63), undefined],
    ["g".repeat(64), undefined],
    [`${FINGERPRINT}:`, undefined],
    ["", undefined],
  ])("%j → %j", (input, expected) => {
    expect(normalizeFingerprint(input)).toBe(expected);
  });
});

describe("mtlsVerifier construction", () => {
  it("refuses malformed fingerprints and scopes", () => {
    expect(thrown(() => mtlsVerifier({ scopes: [], allowedFingerprints: ["not-hex"] }))).toEqual(
      new Error("mTLS allowedFingerprints must be SHA-256 hex fingerprints"),
    );
    expect(thrown(() => mtlsVerifier({ scopes: ["a b"] }))).toEqual(
      new Error("mTLS scopes must be RFC 6749 scope tokens"),
    );
  });
});

describe("mtlsVerifier: not claimed", () => {
  it.each<[string, unknown]>([
    ["no cf (outside Workers)", undefined],
    ["cf without tlsClientAuth (mTLS not enabled)", { colo: "LHR" }],
    ["cf with tlsClientAuth null", { tlsClientAuth: null }],
    ["no certificate presented", { tlsClientAuth: { ...verifiedAuth(), certPresented: "0", certVerified: "NONE" } }],
    ["certPresented as a number", { tlsClientAuth: verifiedAuth({ certPresented: 1 }) }],
    ["cf that is not an object", "cf"],
  ])("%s → undefined", async (_label, cf) => {
    expect(await verify(cf)).toBeUndefined();
  });

  it("ignores the bearer: a bearer without a certificate is left to other methods", async () => {
    const verifier = mtlsVerifier({ scopes: [] });
    expect(await verifier.verify({ request: requestWithCf(undefined), bearer: "abc" })).toBeUndefined();
  });
});

describe("mtlsVerifier: verified certificates", () => {
  it("builds the identity from the fingerprint and subject DN", async () => {
    const verifier = mtlsVerifier({ scopes: ["notes:read"] });
    expect(verifier.method).toBe("mtls");
    expect(await verify({ tlsClientAuth: verifiedAuth() })).toEqual({
      subject: `cert:${FINGERPRINT}`,
      displayName: DN,
      clientId: "mtls",
      issuer: "self",
      scopes: ["notes:read"],
      method: "mtls",
    });
  });

  it("lower-cases the fingerprint and tolerates a missing certRevoked and subject DN", async () => {
    const auth = verifiedAuth({ certFingerprintSHA256: FINGERPRINT.toUpperCase() });
    delete auth["certRevoked"];
    delete auth["certSubjectDN"];
    const identity = await verify({ tlsClientAuth: auth });
    expect(identity?.subject).toBe(`cert:${FINGERPRINT}`);
    expect(identity).not.toHaveProperty("displayName");
  });

  it("truncates a subject DN longer than 256 characters", async () => {
    const identity = await verify({ tlsClientAuth: verifiedAuth({ certSubjectDN: "x".repeat(300) }) });
    expect(identity?.displayName).toBe("x".repeat(256));
  });

  it("accepts a fingerprint on the allow-list (colons and case normalized)", async () => {
    const listed = FINGERPRINT.toUpperCase().match(/../g)?.join(":") ?? "";
    expect(await verify({ tlsClientAuth: verifiedAuth() }, { allowedFingerprints: [OTHER, listed] })).toMatchObject({
      subject: `cert:${FINGERPRINT}`,
    });
  });

  it("treats an empty allow-list as no restriction", async () => {
    expect(await verify({ tlsClientAuth: verifiedAuth() }, { allowedFingerprints: [] })).toMatchObject({
      method: "mtls",
    });
  });
});

describe("mtlsVerifier: rejected certificates", () => {
  it.each<[string, Record<string, unknown>]>([
    ["certVerified NONE", { certVerified: "NONE" }],
    ["a failed chain", { certVerified: "FAILED:unable to get local issuer certificate" }],
    ["an expired certificate", { certVerified: "FAILED:certificate has expired" }],
    ["lower-case success", { certVerified: "success" }],
    ["a revoked certificate", { certRevoked: "1" }],
    ["a missing certVerified", { certVerified: undefined }],
    ["a missing fingerprint", { certFingerprintSHA256: undefined }],
    ["an empty fingerprint", { certFingerprintSHA256: "" }],
    ["a malformed fingerprint", { certFingerprintSHA256: "zz" }],
    ["a fingerprint that is not a string", { certFingerprintSHA256: 42 }],
  ])("rejects %s", async (_label, overrides) => {
    const auth = JSON.parse(JSON.stringify(verifiedAuth(overrides))) as unknown;
    await expectAuthError(verify({ tlsClientAuth: auth }), "invalid_token", NOT_VERIFIED);
  });

  it("rejects a verified certificate that is not on the allow-list", async () => {
    await expectAuthError(
      verify({ tlsClientAuth: verifiedAuth() }, { allowedFingerprints: [OTHER] }),
      "invalid_token",
      NOT_ALLOWED,
    );
  });

  it("behind createAuthenticator a failed certificate is a 401 even with no Authorization header", async () => {
    const gate = createAuthenticator({
      pattern: "token-validation",
      verifiers: [mtlsVerifier({ scopes: ["notes:read"] })],
      mode: "optional",
    });
    const response = await gate(requestWithCf({ tlsClientAuth: verifiedAuth({ certVerified: "FAILED:x" }) }));
    expect(response).toBeInstanceOf(Response);
    if (!(response instanceof Response)) throw new Error("unreachable");
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe(
      `Bearer error="invalid_token", error_description="${NOT_VERIFIED}"`,
    );
    expect(await response.json()).toEqual({ error: "invalid_token", error_description: NOT_VERIFIED });
    expect(await gate(requestWithCf({ tlsClientAuth: verifiedAuth() }))).toMatchObject({ method: "mtls" });
    expect(await gate(requestWithCf(undefined))).toMatchObject({ method: "anonymous" });
  });
});

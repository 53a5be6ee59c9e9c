import { describe, expect, it } from "vitest";
import { ZodError } from "zod";
import {
  ANONYMOUS_SUBJECT,
  IDENTITY_EXTRA_KEY,
  METHODS,
  PATTERNS,
  SELF_ISSUER,
  anonymousIdentity,
  credentialSchema,
  identityFromAuthInfo,
  identitySchema,
  parseTenantKey,
  tenantKey,
  toAuthInfo,
  type Identity,
} from "../src/identity.ts";

/** Runs `fn` and returns what it threw; fails the test when it returns normally. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to throw, but it returned");
}

const BASE: Identity = {
  subject: "user-123",
  displayName: "Ada",
  clientId: "client-abc",
  issuer: "https://idp.example.com",
  scopes: ["notes:read", "notes:write"],
  pattern: "token-validation",
  method: "jwt",
};

describe("anonymousIdentity", () => {
  it.each(PATTERNS)("for %s", (pattern) => {
    const scopes = ["notes:read"];
    const identity = anonymousIdentity(pattern, scopes);
    expect(identity).toStrictEqual({
      subject: ANONYMOUS_SUBJECT,
      displayName: "Anonymous",
      clientId: "anonymous",
      issuer: SELF_ISSUER,
      scopes: ["notes:read"],
      pattern,
      method: "anonymous",
    });
    expect(identity.scopes).not.toBe(scopes);
    expect(identity).not.toHaveProperty("expiresAt");
  });

  it("with no scopes", () => {
    expect(anonymousIdentity("no-auth", []).scopes).toEqual([]);
  });

  it.each([["a b"], ['a"b'], [""]])("rejects an invalid configured scope %j", (scope) => {
    const error = thrown(() => anonymousIdentity("no-auth", [scope]));
    expect(error).toBeInstanceOf(ZodError);
    if (!(error instanceof ZodError)) throw new Error("unreachable");
    expect(error.issues.map((issue) => issue.path)).toEqual([["scopes", 0]]);
  });
});

describe("toAuthInfo", () => {
  it("packs the identity, with an empty token and no expiry", () => {
    const info = toAuthInfo(BASE);
    expect(info).toStrictEqual({
      token: "",
      clientId: "client-abc",
      scopes: ["notes:read", "notes:write"],
      extra: { [IDENTITY_EXTRA_KEY]: BASE },
    });
    expect(IDENTITY_EXTRA_KEY).toBe("identity");
    expect(info).not.toHaveProperty("expiresAt");
    expect(info).not.toHaveProperty("resourceMetadataUrl");
    expect(info.scopes).not.toBe(BASE.scopes);
  });

  it("carries expiresAt and resourceMetadataUrl when set", () => {
    const identity: Identity = { ...BASE, expiresAt: 1_900_000_000 };
    const info = toAuthInfo(identity, {
      resourceMetadataUrl: "https://mcp.example.com/.well-known/oauth-protected-resource",
    });
    expect(info.expiresAt).toBe(1_900_000_000);
    expect(info.resourceMetadataUrl).toBe("https://mcp.example.com/.well-known/oauth-protected-resource");
    expect(info.extra).toStrictEqual({ identity });
    expect(info.token).toBe("");
  });

  it("never carries a credential even if one is smuggled into the identity", () => {
    const smuggled = { ...BASE, token: "s3cr3t" };
    const error = thrown(() => toAuthInfo(smuggled));
    expect(error).toBeInstanceOf(ZodError);
  });
});

describe("identitySchema", () => {
  it.each(METHODS.filter((method) => method !== "anonymous"))("accepts method %s", (method) => {
    expect(identitySchema.parse({ ...BASE, method }).method).toBe(method);
  });

  it("accepts a minimal identity", () => {
    const minimal: Identity = {
      subject: BASE.subject,
      clientId: BASE.clientId,
      issuer: BASE.issuer,
      scopes: BASE.scopes,
      pattern: BASE.pattern,
      method: BASE.method,
    };
    expect(identitySchema.parse(minimal)).toStrictEqual(minimal);
  });

  it("accepts 64 scopes and a 256-character subject", () => {
    const identity = { ...BASE, subject: "s".repeat(256), scopes: Array.from({ length: 64 }, (_, i) => `s${i}`) };
    expect(identitySchema.parse(identity)).toStrictEqual(identity);
  });

  it.each<[string, Record<string, unknown>, (string | number)[], string]>([
    ["an extra key (token)", { token: "s3cr3t" }, [], "unrecognized_keys"],
    ["an extra key (password)", { password: "x" }, [], "unrecognized_keys"],
    ["an empty subject", { subject: "" }, ["subject"], "too_small"],
    ["a 257-character subject", { subject: "s".repeat(257) }, ["subject"], "too_big"],
    ["a non-string subject", { subject: 42 }, ["subject"], "invalid_type"],
    ["an empty clientId", { clientId: "" }, ["clientId"], "too_small"],
    ["a 257-character displayName", { displayName: "d".repeat(257) }, ["displayName"], "too_big"],
    ["a scope with a space", { scopes: ["notes:read", "a b"] }, ["scopes", 1], "custom"],
    ["a scope with a quote", { scopes: ['a"b'] }, ["scopes", 0], "custom"],
    ["a scope with a backslash", { scopes: ["a\\b"] }, ["scopes", 0], "custom"],
    ["a non-ASCII scope", { scopes: ["caf\u00e9"] }, ["scopes", 0], "custom"],
    ["an empty scope", { scopes: [""] }, ["scopes", 0], "custom"],
    ["scopes as a string", { scopes: "notes:read" }, ["scopes"], "invalid_type"],
    ["65 scopes", { scopes: Array.from({ length: 65 }, (_, i) => `s${i}`) }, ["scopes"], "too_big"],
    ["an unknown pattern", { pattern: "magic" }, ["pattern"], "invalid_value"],
    ["an unknown method", { method: "password" }, ["method"], "invalid_value"],
    ["expiresAt zero", { expiresAt: 0 }, ["expiresAt"], "too_small"],
    ["a negative expiresAt", { expiresAt: -1 }, ["expiresAt"], "too_small"],
    ["a fractional expiresAt", { expiresAt: 1.5 }, ["expiresAt"], "invalid_type"],
    ["expiresAt in milliseconds as a string", { expiresAt: "1900000000" }, ["expiresAt"], "invalid_type"],
    ["expiresAt past year 9999", { expiresAt: 9e12 }, ["expiresAt"], "too_big"],
    ["an empty issuer", { issuer: "" }, ["issuer"], "too_small"],
    ["a subject with a newline", { subject: "alice\nadmin" }, ["subject"], "custom"],
    ["a subject with a NUL", { subject: "alice\u0000" }, ["subject"], "custom"],
    ["a subject with a C1 control", { subject: "alice\u0085" }, ["subject"], "custom"],
    ["a displayName with an escape", { displayName: "\u001b[31mAda" }, ["displayName"], "custom"],
    ["a credential asserting the anonymous subject", { subject: ANONYMOUS_SUBJECT }, ["subject"], "custom"],
    ["an anonymous method with another subject", { method: "anonymous" }, ["subject"], "custom"],
  ])("rejects %s", (_label, patch, path, code) => {
    const result = identitySchema.safeParse({ ...BASE, ...patch });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => [issue.path, issue.code])).toEqual([[path, code]]);
    expect(thrown(() => toAuthInfo({ ...BASE, ...patch }))).toBeInstanceOf(ZodError);
  });

  it("the scope refinement names the grammar", () => {
    const result = identitySchema.safeParse({ ...BASE, scopes: ["a b"] });
    expect(result.error?.issues[0]?.message).toBe("not an RFC 6749 scope token");
  });

  it.each([
    ["subject", "invalid_type"],
    ["clientId", "invalid_type"],
    ["scopes", "invalid_type"],
    ["issuer", "invalid_type"],
    ["pattern", "invalid_value"],
    ["method", "invalid_value"],
  ])("requires %s (%s when absent)", (key, code) => {
    const result = identitySchema.safeParse(Object.fromEntries(Object.entries(BASE).filter(([name]) => name !== key)));
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => [issue.path, issue.code])).toEqual([[[key], code]]);
  });
});

function withoutPattern(identity: Identity): Omit<Identity, "pattern"> {
  return Object.fromEntries(Object.entries(identity).filter(([name]) => name !== "pattern")) as Omit<
    Identity,
    "pattern"
  >;
}

describe("credentialSchema", () => {
  it("is the identity without the pattern", () => {
    const credential = withoutPattern(BASE);
    expect(credentialSchema.parse(credential)).toStrictEqual(credential);
    expect(credentialSchema.safeParse(BASE).error?.issues.map((issue) => issue.code)).toEqual(["unrecognized_keys"]);
  });

  it("refuses the reserved subject for every method that proves something", () => {
    for (const method of METHODS.filter((name) => name !== "anonymous")) {
      const credential = withoutPattern({ ...BASE, method, subject: ANONYMOUS_SUBJECT });
      expect(credentialSchema.safeParse(credential).error?.issues[0]?.message).toBe(
        '"anonymous" is reserved for callers who prove nothing',
      );
    }
  });
});

describe("identityFromAuthInfo", () => {
  it.each(METHODS)("round-trips a %s identity through AuthInfo", (method) => {
    const identity: Identity =
      method === "anonymous"
        ? anonymousIdentity("no-auth", ["notes:read"])
        : { ...BASE, method, expiresAt: 1_900_000_000 };
    expect(identityFromAuthInfo(toAuthInfo(identity))).toStrictEqual(identity);
  });

  it("throws on a missing authInfo (a wiring bug)", () => {
    expect(thrown(() => identityFromAuthInfo(undefined))).toHaveProperty(
      "message",
      "identity: request reached the MCP server without an identity",
    );
  });

  it.each<[string, Record<string, unknown> | undefined, (string | number)[]]>([
    ["no extra", undefined, []],
    ["extra without identity", {}, []],
    ["identity a string", { identity: "user-1" }, []],
    ["an empty subject", { identity: { ...BASE, subject: "" } }, ["subject"]],
    ["a smuggled token", { identity: { ...BASE, token: "s3cr3t" } }, []],
  ])("throws on %s", (_label, extra, path) => {
    const error = thrown(() =>
      identityFromAuthInfo({ token: "", clientId: "c", scopes: [], ...(extra ? { extra } : {}) }),
    );
    expect(error).toBeInstanceOf(ZodError);
    if (!(error instanceof ZodError)) throw new Error("unreachable");
    expect(error.issues.map((issue) => issue.path)).toEqual([path]);
  });
});

describe("tenantKey", () => {
  const alice = { subject: "alice", issuer: SELF_ISSUER };

  it("separates equal subjects proven by different methods or issuers", () => {
    const keys = [
      tenantKey({ ...alice, method: "api_key" }),
      tenantKey({ ...alice, method: "access" }),
      tenantKey({ subject: "alice", issuer: "https://idp.example.com", method: "jwt" }),
      tenantKey({ subject: "alice", issuer: "https://other.example.com", method: "jwt" }),
      tenantKey({ subject: "alice", issuer: "https://idp.example.com", method: "introspection" }),
      tenantKey({ subject: ANONYMOUS_SUBJECT, issuer: SELF_ISSUER, method: "anonymous" }),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("cannot be forged by putting the separator inside a part", () => {
    const a = tenantKey({ method: "jwt", issuer: "https://a|jwt", subject: "b" });
    const b = tenantKey({ method: "jwt", issuer: "https://a", subject: "jwt|b" });
    expect(a).not.toBe(b);
    expect(a).toBe("jwt|https%3A%2F%2Fa%7Cjwt|b");
  });

  it("is stable for the same caller", () => {
    expect(tenantKey({ ...alice, method: "api_key" })).toBe("api_key|self|alice");
  });
});

describe("parseTenantKey", () => {
  it("reads back every key tenantKey makes, separators and non-ASCII included", () => {
    const tenants = [
      { method: "api_key", issuer: SELF_ISSUER, subject: "alice" },
      { method: "jwt", issuer: "https://a|jwt", subject: "b|c d%e" },
      { method: "oauth", issuer: "https://idp.example.com/", subject: "Zoë 🙂" },
      { method: "anonymous", issuer: SELF_ISSUER, subject: ANONYMOUS_SUBJECT },
    ] as const;
    for (const tenant of tenants) {
      expect(parseTenantKey(tenantKey(tenant))).toEqual({ ok: true, tenant });
    }
  });

  it.each([
    ["", "the tenant key is empty"],
    ["api_key|self", "a tenant key is method|issuer|subject (3 parts), this one has 2"],
    ["api_key|self|a|b", "a tenant key is method|issuer|subject (3 parts), this one has 4"],
    ["root|self|alice", "the method: must be one of anonymous, api_key, jwt, access, introspection, mtls, oauth"],
    ["jwt|%E0%A4%A|alice", "the issuer is not valid percent-encoding"],
    ["jwt|https://idp|alice", "the issuer is not percent-encoded as tenantKey encodes it"],
    ["jwt|self|al%69ce", "the subject is not percent-encoded as tenantKey encodes it"],
    ["jwt|self|", "the subject: Too small: expected string to have >=1 characters"],
    ["jwt|self|a%0Ab", "the subject: contains control characters"],
    ["api_key|self|anonymous", 'the subject: "anonymous" is reserved for callers who prove nothing'],
    ["anonymous|self|alice", 'the subject: an anonymous caller\'s subject is "anonymous"'],
    [`jwt|self|${"a".repeat(257)}`, "the subject: Too big: expected string to have <=256 characters"],
    [`jwt|self|${"a".repeat(10_000)}`, "the tenant key is longer than 9410 characters"],
  ])("refuses %j: %s", (key, problem) => {
    expect(parseTenantKey(key)).toEqual({ ok: false, problem });
  });
});

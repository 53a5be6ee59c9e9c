import { describe, expect, it } from "vitest";
import { asAuthError, bearerChallenge, challengeResponse } from "../src/challenge.ts";
import { AuthError, type AuthErrorCode } from "../src/errors.ts";
import { thrown } from "./helpers.ts";

const METADATA = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp";

/** The status each code must map to, and whether the answer carries a Bearer challenge. */
const CASES: readonly [AuthErrorCode, number, boolean][] = [
  ["missing_credentials", 401, true],
  ["invalid_request", 400, true],
  ["invalid_token", 401, true],
  ["insufficient_scope", 403, true],
  ["rate_limited", 429, false],
  ["temporarily_unavailable", 503, false],
];

/** Splits `Bearer a="x", b="y"` into [scheme, {a: 'x', b: 'y'}] honouring quoted-string escapes. */
function parseChallenge(value: string): [string, Map<string, string>] {
  const match = /^(\S+)(?: (.*))?$/s.exec(value);
  if (match === null) throw new Error(`not a challenge: ${value}`);
  const params = new Map<string, string>();
  const rest = match[2] ?? "";
  const param = /([a-z_]+)="((?:[^"\\]|\\.)*)"(?:, |$)/gy;
  let consumed = 0;
  for (let m = param.exec(rest); m !== null; m = param.exec(rest)) {
    const [all, name, quoted] = m;
    if (name === undefined || quoted === undefined) throw new Error("unreachable");
    expect(params.has(name)).toBe(false);
    params.set(name, quoted.replaceAll(/\\(.)/g, "$1"));
    consumed += all.length;
  }
  expect(consumed).toBe(rest.length);
  return [match[1] ?? "", params];
}

describe.each(CASES)("challengeResponse(%s)", (code, status, challenges) => {
  const message = `failure of kind ${code}`;

  it(`answers ${status} with no-store JSON`, async () => {
    const response = challengeResponse(new AuthError(code, message));
    expect(response.status).toBe(status);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.has("retry-after")).toBe(false);
    expect(await response.json()).toEqual({
      error: code === "missing_credentials" ? "unauthorized" : code,
      error_description: message,
    });
  });

  it(challenges ? "carries a Bearer challenge" : "carries no WWW-Authenticate header", () => {
    const error = new AuthError(code, message);
    const response = challengeResponse(error, { resourceMetadataUrl: METADATA });
    if (challenges) {
      expect(response.headers.get("www-authenticate")).toBe(bearerChallenge(error, { resourceMetadataUrl: METADATA }));
    } else {
      expect(response.headers.has("www-authenticate")).toBe(false);
    }
  });

  it.each<[number, string]>([
    [30, "30"],
    [1, "1"],
    [2.1, "3"],
    [0.2, "1"],
    [0, "1"],
    [-5, "1"],
  ])("Retry-After for retryAfterSeconds=%s is %s", (seconds, header) => {
    const response = challengeResponse(new AuthError(code, message, { retryAfterSeconds: seconds }));
    expect(response.headers.get("retry-after")).toBe(header);
    expect(response.status).toBe(status);
  });
});

describe("bearerChallenge", () => {
  it("RFC 6750 §3.1: a request without credentials gets a bare Bearer challenge", () => {
    expect(bearerChallenge(new AuthError("missing_credentials", "no credential"))).toBe("Bearer");
  });

  it("missing_credentials with resource metadata: resource_metadata only, no error", () => {
    const value = bearerChallenge(new AuthError("missing_credentials", "no credential"), {
      resourceMetadataUrl: METADATA,
    });
    expect(value).toBe(`Bearer resource_metadata="${METADATA}"`);
    expect(value).not.toContain("error");
  });

  it("missing_credentials with realm, scope and metadata, in that order", () => {
    const value = bearerChallenge(new AuthError("missing_credentials", "no credential"), {
      realm: "mcp",
      scope: ["notes:read", "notes:write"],
      resourceMetadataUrl: METADATA,
    });
    expect(value).toBe(`Bearer realm="mcp", scope="notes:read notes:write", resource_metadata="${METADATA}"`);
  });

  it.each<[AuthErrorCode, string]>([
    ["invalid_token", "invalid_token"],
    ["invalid_request", "invalid_request"],
    ["insufficient_scope", "insufficient_scope"],
    ["rate_limited", "invalid_token"],
    ["temporarily_unavailable", "invalid_token"],
  ])("%s → error=%s with the description", (code, oauthCode) => {
    const [scheme, params] = parseChallenge(bearerChallenge(new AuthError(code, "the reason")));
    expect(scheme).toBe("Bearer");
    expect(Object.fromEntries(params)).toEqual({ error: oauthCode, error_description: "the reason" });
  });

  it("invalid_token with metadata", () => {
    expect(bearerChallenge(new AuthError("invalid_token", "expired"), { resourceMetadataUrl: METADATA })).toBe(
      `Bearer error="invalid_token", error_description="expired", resource_metadata="${METADATA}"`,
    );
  });

  it("insufficient_scope advertises the required scopes, not options.scope", () => {
    const error = new AuthError("insufficient_scope", "needs write", { requiredScopes: ["notes:write", "admin"] });
    const [, params] = parseChallenge(bearerChallenge(error, { scope: ["notes:read"], resourceMetadataUrl: METADATA }));
    expect(Object.fromEntries(params)).toEqual({
      error: "insufficient_scope",
      error_description: "needs write",
      scope: "notes:write admin",
      resource_metadata: METADATA,
    });
  });

  it.each<[string, AuthError, readonly string[]]>([
    [
      "options.scope on a 401",
      new AuthError("missing_credentials", "m"),
      ["offline_access", "notes:read", "offline_access"],
    ],
    ["options.scope on invalid_token", new AuthError("invalid_token", "m"), ["notes:read", "offline_access"]],
    [
      "requiredScopes on a 403",
      new AuthError("insufficient_scope", "m", { requiredScopes: ["offline_access", "notes:read"] }),
      [],
    ],
  ])("never advertises offline_access (%s)", (_label, error, scope) => {
    const [, params] = parseChallenge(bearerChallenge(error, { scope }));
    expect(params.get("scope")).toBe("notes:read");
  });

  it.each<[string, AuthError, readonly string[]]>([
    ["only offline_access in options.scope", new AuthError("missing_credentials", "m"), ["offline_access"]],
    ["empty options.scope", new AuthError("invalid_token", "m"), []],
    [
      "only offline_access required",
      new AuthError("insufficient_scope", "m", { requiredScopes: ["offline_access"] }),
      [],
    ],
  ])("omits scope entirely when nothing is left (%s)", (_label, error, scope) => {
    const [, params] = parseChallenge(bearerChallenge(error, { scope }));
    expect(params.has("scope")).toBe(false);
  });

  it.each([
    ['say "hi"', 'say \\"hi\\"'],
    ["back\\slash", "back\\\\slash"],
    ['\\"', '\\\\\\"'],
    ["caf\u00e9", "caf "],
    ["line\r\nbreak", "line  break"],
    ["tab\there", "tab here"],
    ["\u4e2d\u6587", "  "],
    ["emoji \u{1F600}", "emoji   "],
    ["nul\u0000del\u007f", "nul del "],
  ])("quotes and escapes the description %j", (description, escaped) => {
    const value = bearerChallenge(new AuthError("invalid_token", description), { realm: description });
    expect(value).toBe(`Bearer realm="${escaped}", error="invalid_token", error_description="${escaped}"`);
    expect(value).toMatch(/^[\x20-\x7e]*$/);
    // and the header is something Headers accepts
    expect(
      challengeResponse(new AuthError("invalid_token", description), { realm: description }).headers.get(
        "www-authenticate",
      ),
    ).toBe(value);
  });

  it("the parsed description round-trips for printable ASCII with quotes and backslashes", () => {
    const description = 'a "quoted" \\ value, with = and , inside';
    const [, params] = parseChallenge(bearerChallenge(new AuthError("invalid_request", description)));
    expect(params.get("error_description")).toBe(description);
  });

  it("escapes quotes in the resource metadata URL and the scope", () => {
    const value = bearerChallenge(new AuthError("missing_credentials", "m"), {
      resourceMetadataUrl: 'https://x/"a"',
      scope: ['s"1'],
    });
    expect(value).toBe('Bearer scope="s\\"1", resource_metadata="https://x/\\"a\\""');
  });
});

describe("challengeResponse body", () => {
  it("insufficient_scope: scope lists the required scopes", async () => {
    const response = challengeResponse(
      new AuthError("insufficient_scope", "needs write", { requiredScopes: ["notes:write", "notes:read"] }),
    );
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      error: "insufficient_scope",
      error_description: "needs write",
      scope: "notes:write notes:read",
    });
    expect(response.headers.get("www-authenticate")).toBe(
      'Bearer error="insufficient_scope", error_description="needs write", scope="notes:write notes:read"',
    );
  });

  it("keeps a non-ASCII description intact in the JSON body while the header is sanitised", async () => {
    const response = challengeResponse(new AuthError("invalid_token", "caf\u00e9 \u4e2d"));
    expect(await response.json()).toEqual({ error: "invalid_token", error_description: "caf\u00e9 \u4e2d" });
    expect(response.headers.get("www-authenticate")).toBe('Bearer error="invalid_token", error_description="caf   "');
  });

  it("a 401 carries options.scope and metadata in the challenge but not in the body", async () => {
    const response = challengeResponse(new AuthError("missing_credentials", "log in"), {
      scope: ["notes:read", "offline_access"],
      resourceMetadataUrl: METADATA,
    });
    expect(response.headers.get("www-authenticate")).toBe(`Bearer scope="notes:read", resource_metadata="${METADATA}"`);
    expect(await response.json()).toEqual({ error: "unauthorized", error_description: "log in" });
  });

  it("rate_limited with a fractional retry: 429, Retry-After rounded up, no challenge", async () => {
    const response = challengeResponse(new AuthError("rate_limited", "slow down", { retryAfterSeconds: 59.01 }));
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("60");
    expect(response.headers.has("www-authenticate")).toBe(false);
    expect(await response.json()).toEqual({ error: "rate_limited", error_description: "slow down" });
  });

  it("never advertises offline_access in the JSON body either", async () => {
    const response = challengeResponse(
      new AuthError("insufficient_scope", "m", { requiredScopes: ["notes:write", "offline_access"] }),
    );
    const body: unknown = await response.json();
    expect(JSON.stringify(body)).not.toContain("offline_access");
  });
});

describe("asAuthError", () => {
  it("returns an AuthError unchanged", () => {
    const error = new AuthError("invalid_token", "bad");
    expect(asAuthError(error)).toBe(error);
  });

  it.each<[string, unknown]>([
    ["an Error", new Error("boom")],
    ["a TypeError", new TypeError("bad type")],
    ["a string", "boom"],
    ["undefined", undefined],
    ["null", null],
    ["an AuthError look-alike", { name: "AuthError", code: "invalid_token", message: "fake", requiredScopes: [] }],
  ])("rethrows %s as is", (_label, value) => {
    expect(thrown(() => asAuthError(value))).toBe(value);
  });
});

describe("challengeResponse with a non-finite Retry-After", () => {
  it.each([Number.NaN, Number.POSITIVE_INFINITY])("omits Retry-After for %s", (seconds) => {
    const response = challengeResponse(new AuthError("rate_limited", "slow down", { retryAfterSeconds: seconds }));
    expect(response.status).toBe(429);
    expect(response.headers.has("retry-after")).toBe(false);
  });
});

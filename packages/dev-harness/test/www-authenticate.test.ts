import { describe, expect, it } from "vitest";
import { bearerChallenge, parseWwwAuthenticate } from "../src/www-authenticate.ts";

describe("parseWwwAuthenticate", () => {
  it("a bare scheme (RFC 6750 §3.1: no credentials sent)", () => {
    expect(parseWwwAuthenticate("Bearer")).toEqual([{ scheme: "Bearer", params: {} }]);
  });

  it("parameters named like Object.prototype members are plain parameters", () => {
    const [challenge] = parseWwwAuthenticate('Bearer __proto__="x", constructor="y", toString=z');
    expect(Object.entries(challenge?.params ?? {})).toEqual([
      ["__proto__", "x"],
      ["constructor", "y"],
      ["tostring", "z"],
    ]);
    expect(Object.hasOwn(challenge?.params ?? {}, "valueof")).toBe(false);
  });

  it("quoted and token values, names lower-cased, escapes undone", () => {
    const header =
      'Bearer realm="mcp", error="invalid_token", error_description="the \\"exp\\" claim, in the past", Scope=openid';
    expect(parseWwwAuthenticate(header)).toEqual([
      {
        scheme: "Bearer",
        params: {
          realm: "mcp",
          error: "invalid_token",
          error_description: 'the "exp" claim, in the past',
          scope: "openid",
        },
      },
    ]);
  });

  it("several challenges, including token68 and params after it", () => {
    const header =
      'Basic dXNlcjpwYXNz==, Bearer resource_metadata="http://x/.well-known/oauth-protected-resource", DPoP algs="ES256"';
    expect(parseWwwAuthenticate(header)).toEqual([
      { scheme: "Basic", params: {}, token68: "dXNlcjpwYXNz==" },
      { scheme: "Bearer", params: { resource_metadata: "http://x/.well-known/oauth-protected-resource" } },
      { scheme: "DPoP", params: { algs: "ES256" } },
    ]);
  });

  it("optional whitespace around '=' and empty quoted values", () => {
    expect(parseWwwAuthenticate('Bearer error = "invalid_request" , scope=""')).toEqual([
      { scheme: "Bearer", params: { error: "invalid_request", scope: "" } },
    ]);
  });

  it.each([
    ['Bearer error="unterminated', /unterminated quoted-string/],
    ['Bearer error="a", error="b"', /parameter error given twice/],
    ["Bearer error=@bad", /expected ',' between challenges/],
    ["Bearer scope=notes:read", /expected ',' between parameters/], // ':' is not a tchar: must be quoted
    ['Bearer error="a" scope="b"', /expected ',' between parameters/],
    ["Basic abc def", /expected ',' between challenges/],
    ['="x"', /expected an auth-scheme/],
  ])("refuses %j", (header, message) => {
    expect(() => parseWwwAuthenticate(header)).toThrow(message);
  });
});

describe("bearerChallenge", () => {
  it("finds the Bearer challenge case-insensitively, undefined when absent", () => {
    expect(bearerChallenge('Basic realm="x", bearer error="insufficient_scope"')?.params).toEqual({
      error: "insufficient_scope",
    });
    expect(bearerChallenge('Basic realm="x"')).toBeUndefined();
    expect(bearerChallenge(null)).toBeUndefined();
    expect(bearerChallenge("")).toBeUndefined();
  });
});

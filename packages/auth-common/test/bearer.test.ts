import { afterEach, describe, expect, it, vi } from "vitest";
import { MAX_BEARER_LENGTH, readBearerToken } from "../src/bearer.ts";
import { AuthError } from "../src/errors.ts";
import { thrown } from "./helpers.ts";

const URL_ = "https://mcp.example.com/mcp";

function requestWith(authorization: string | readonly string[] | undefined, url = URL_): Request {
  const headers = new Headers();
  const values = authorization === undefined ? [] : typeof authorization === "string" ? [authorization] : authorization;
  for (const value of values) headers.append("authorization", value);
  return new Request(url, { headers });
}

function authError(request: Request): AuthError {
  const error = thrown(() => readBearerToken(request));
  expect(error).toBeInstanceOf(AuthError);
  if (!(error instanceof AuthError)) throw new Error("unreachable");
  return error;
}

const MISSING = "This MCP server needs a bearer credential in the Authorization header.";
const TWO = "Send exactly one Authorization header.";
const SCHEME = "The Authorization scheme must be Bearer.";
const EMPTY = "The Bearer credential is empty.";
const CHARS = "The bearer credential contains characters RFC 6750 does not allow.";
const LONG = `The bearer credential is longer than ${MAX_BEARER_LENGTH} characters.`;

describe("readBearerToken: no credential", () => {
  it.each([
    ["no Authorization header", undefined],
    ["an empty Authorization header", ""],
    ["a whitespace-only Authorization header", "   "],
  ])("%s → missing_credentials", (_label, header) => {
    const error = authError(requestWith(header));
    expect(error.code).toBe("missing_credentials");
    expect(error.message).toBe(MISSING);
  });

  it.each([`${URL_}?access_token=abc.def`, `${URL_}?access_token=abc&x=1`, `${URL_}?foo=1&access_token=abc#frag`])(
    "never reads ?access_token= from the URL (%s)",
    (url) => {
      const error = authError(requestWith(undefined, url));
      expect(error.code).toBe("missing_credentials");
      expect(error.message).toBe(MISSING);
    },
  );

  it("prefers the header even when the query carries another token", () => {
    expect(readBearerToken(requestWith("Bearer from-header", `${URL_}?access_token=from-query`))).toBe("from-header");
  });
});

describe("readBearerToken: malformed header → invalid_request", () => {
  it.each<[string, string | readonly string[], string]>([
    ["Basic credentials", "Basic abc", SCHEME],
    ["another scheme", "Token abc", SCHEME],
    ["Digest scheme", 'Digest username="a"', SCHEME],
    ["scheme glued to the token", "Bearerabc", SCHEME],
    ["scheme with a colon", "Bearer:abc", SCHEME],
    ["scheme followed by a tab", "Bearer\tabc", SCHEME],
    ["a bare scheme", "Bearer", EMPTY],
    ["scheme and a space only (trimmed by Headers)", "Bearer ", EMPTY],
    ["lower-case bare scheme", "bearer", EMPTY],
    ["a space, then a tab before the token", "Bearer \tabc", CHARS],
    ["a tab, then a space before the token", "Bearer\t abc", SCHEME],
    ["two Authorization headers", ["Bearer a", "Bearer b"], TWO],
    ["two values joined by a comma", "Bearer a, Bearer b", TWO],
    ["a comma inside the token", "Bearer a,b", TWO],
    ["a space inside the token", "Bearer a b", CHARS],
    ["a double quote", 'Bearer a"b', CHARS],
    ["markup", "Bearer <script>", CHARS],
    ["non-ASCII (Latin-1)", "Bearer caf\u00e9", CHARS],
    ["a control character", "Bearer a\u0001b", CHARS],
    ["DEL", "Bearer a\u007fb", CHARS],
    ["a tab inside the token", "Bearer a\tb", CHARS],
    ["a percent-encoding", "Bearer a%20b", CHARS],
    ["padding only", "Bearer ==", CHARS],
    ["padding in the middle", "Bearer a=b", CHARS],
    ["a backslash", "Bearer a\\b", CHARS],
  ])("%s", (_label, header, message) => {
    const error = authError(requestWith(header));
    expect(error.code).toBe("invalid_request");
    expect(error.message).toBe(message);
    expect(error.requiredScopes).toEqual([]);
    expect(error.retryAfterSeconds).toBeUndefined();
  });
});

describe("readBearerToken: over-long token", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it.each([
    ["valid characters", "a".repeat(MAX_BEARER_LENGTH + 1)],
    ["illegal characters (length is checked first)", "<".repeat(MAX_BEARER_LENGTH + 1)],
    ["far beyond the limit", "a".repeat(MAX_BEARER_LENGTH * 8)],
  ])("%s → invalid_token", (_label, token) => {
    const error = authError(requestWith(`Bearer ${token}`));
    expect(error.code).toBe("invalid_token");
    expect(error.message).toBe(LONG);
  });

  /** Regular-expression executions whose input contained `token` (`test`, `match`, `replace` … all go through `exec`). */
  function regexRunsOver(token: string, run: () => void): unknown[][] {
    const exec = vi.spyOn(RegExp.prototype, "exec");
    const test = vi.spyOn(RegExp.prototype, "test");
    run();
    return [...exec.mock.calls, ...test.mock.calls].filter(
      ([input]) => typeof input === "string" && input.includes(token),
    );
  }

  it("control: a valid token does go through the regular expression", () => {
    const token = "b".repeat(64);
    const request = requestWith(`Bearer ${token}`);
    expect(
      regexRunsOver(token, () => {
        expect(readBearerToken(request)).toBe(token);
      }).length,
    ).toBeGreaterThan(0);
  });

  it("is refused before any regular expression runs over it", () => {
    const token = "a".repeat(MAX_BEARER_LENGTH + 1);
    const request = requestWith(`Bearer ${token}`);
    expect(
      regexRunsOver(token, () => {
        expect(authError(request).code).toBe("invalid_token");
      }),
    ).toEqual([]);
  });

  it("a token of exactly MAX_BEARER_LENGTH characters is accepted", () => {
    const token = "a".repeat(MAX_BEARER_LENGTH);
    expect(readBearerToken(requestWith(`Bearer ${token}`))).toBe(token);
  });
});

describe("readBearerToken: valid tokens", () => {
  it.each([
    ["Bearer", "abc"],
    ["bearer", "abc"],
    ["BEARER", "abc"],
    ["BeArEr", "abc"],
    ["Bearer", "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl"],
    ["Bearer", "YWJj="],
    ["Bearer", "YWI=="],
    ["Bearer", "a-._~+/b"],
    ["Bearer", "0"],
    // workers-oauth-provider's shape (full-oauth-provider's tokens, taken by introspection).
    ["Bearer", "u_0123abcd:g_4567:c2VjcmV0LXBhcnQ"],
  ])("%s %s", (scheme, token) => {
    expect(readBearerToken(requestWith(`${scheme} ${token}`))).toBe(token);
  });

  // RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token.
  it.each([
    ["two spaces", "Bearer  abc"],
    ["three spaces, lower-case scheme", "bearer   x"],
    ["many spaces", `Bearer ${" ".repeat(100)}abc`],
  ])("more than one space after the scheme: %s", (_label, header) => {
    expect(readBearerToken(requestWith(header))).toBe(header.trimEnd().split(" ").at(-1));
  });

  it("an over-long token after several spaces is still refused before any regular expression", () => {
    const error = authError(requestWith(`Bearer   ${"<".repeat(MAX_BEARER_LENGTH + 1)}`));
    expect({ code: error.code, message: error.message }).toEqual({ code: "invalid_token", message: LONG });
  });
});

describe("readBearerToken: error messages never contain the token", () => {
  const secret = "s3cr3tT0k3nVALUE";
  it.each([
    `Basic ${secret}`,
    `Bearer ${secret} x`,
    `Bearer ${secret}"`,
    `Bearer <${secret}>`,
    `Bearer ${secret}, Bearer other`,
    `Bearer  ${secret}"`,
    `Bearer ${secret}\u00e9`,
    secret,
    `Bearer ${secret}${"a".repeat(MAX_BEARER_LENGTH)}`,
  ])("%#", (header) => {
    const error = authError(requestWith(header));
    expect(error.message).not.toContain(secret);
    expect(error.stack ?? "").not.toContain(secret);
    expect(error.cause).toBeUndefined();
    expect(JSON.stringify(Object.entries(error))).not.toContain(secret);
  });
});

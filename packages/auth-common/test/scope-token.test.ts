import { describe, expect, it } from "vitest";
import { AuthError } from "../src/errors.ts";
import { isScopeToken, parseScopeString } from "../src/scope-token.ts";
import { thrown } from "./helpers.ts";

/** RFC 6749 §3.3 NQCHAR: %x21 / %x23-5B / %x5D-7E. */
function isNqchar(code: number): boolean {
  return code === 0x21 || (code >= 0x23 && code <= 0x5b) || (code >= 0x5d && code <= 0x7e);
}

const ASCII = Array.from({ length: 0x80 }, (_, code) => code);

describe("isScopeToken", () => {
  it.each(ASCII.filter(isNqchar))("accepts the single character %#x", (code) => {
    expect(isScopeToken(String.fromCharCode(code))).toBe(true);
    expect(isScopeToken(`a${String.fromCharCode(code)}b`)).toBe(true);
  });

  it.each(ASCII.filter((code) => !isNqchar(code)))("rejects the character %#x anywhere", (code) => {
    const c = String.fromCharCode(code);
    expect(isScopeToken(c)).toBe(false);
    expect(isScopeToken(`a${c}b`)).toBe(false);
    expect(isScopeToken(`ab${c}`)).toBe(false);
  });

  it.each([
    ["the empty string", ""],
    ["a space", "notes read"],
    ["a double quote", 'notes"read'],
    ["a backslash", "notes\\read"],
    ["DEL", "notes\u007f"],
    ["Latin-1", "caf\u00e9"],
    ["CJK", "\u4e2d"],
    ["an emoji", "\u{1F600}"],
    ["a trailing newline", "notes:read\n"],
  ])("rejects %s", (_label, value) => {
    expect(isScopeToken(value)).toBe(false);
  });

  it.each([
    "notes:read",
    "notes:write",
    "offline_access",
    "https://api.example.com/read",
    "a!#$%&'()*+,-./:;<=>?@[]^_`{|}~",
  ])("accepts %s", (value) => {
    expect(isScopeToken(value)).toBe(true);
  });
});

describe("parseScopeString", () => {
  it.each<[string, string[]]>([
    ["", []],
    ["   ", []],
    ["notes:read", ["notes:read"]],
    ["notes:read notes:write", ["notes:read", "notes:write"]],
    ["  notes:read   notes:write  ", ["notes:read", "notes:write"]],
    ["b a b c a", ["b", "a", "c"]],
    ["x x x", ["x"]],
  ])("%j → %j", (value, expected) => {
    expect(parseScopeString(value)).toEqual(expected);
  });

  it("accepts exactly 64 scopes", () => {
    const scopes = Array.from({ length: 64 }, (_, i) => `s${i}`);
    expect(parseScopeString(scopes.join(" "))).toEqual(scopes);
  });

  it.each([65, 100, 10_000])("rejects %i scopes", (count) => {
    const error = thrown(() => parseScopeString(Array.from({ length: count }, (_, i) => `s${i}`).join(" ")));
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ code: "invalid_request", message: "Too many scopes (at most 64)." });
  });

  it.each([
    ["a double quote", 'notes:read no"te'],
    ["a backslash", "notes:read no\\te"],
    ["DEL", "notes:read note\u007f"],
    ["non-ASCII", "notes:read caf\u00e9"],
    ["a tab separator (only spaces separate)", "notes:read\tnotes:write"],
    ["a newline separator", "notes:read\nnotes:write"],
    ["a comma-free NUL", "notes:read \u0000"],
  ])("rejects %s", (_label, value) => {
    const error = thrown(() => parseScopeString(value));
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({
      code: "invalid_request",
      message: "A scope contains characters outside RFC 6749 §3.3.",
    });
  });
});

import { describe, expect, it } from "vitest";
import { SCOPES, allows, effectiveScopes, type Scope } from "../src/scopes.ts";

describe("effectiveScopes", () => {
  it.each<[string[], string[]]>([
    [[], []],
    [["notes:read"], ["notes:read"]],
    [["notes:write"], ["notes:write", "notes:read"]],
    [
      ["notes:write", "notes:read"],
      ["notes:write", "notes:read"],
    ],
    [
      ["notes:read", "notes:write"],
      ["notes:read", "notes:write"],
    ],
    [
      ["notes:read", "notes:write", "notes:read", "notes:write"],
      ["notes:read", "notes:write"],
    ],
    [
      ["admin", "notes:write"],
      ["admin", "notes:write", "notes:read"],
    ],
    [["admin", "admin"], ["admin"]],
    [["NOTES:WRITE"], ["NOTES:WRITE"]],
    [["notes:write:extra"], ["notes:write:extra"]],
  ])("%j → %j", (granted, expected) => {
    expect(effectiveScopes(granted)).toEqual(expected);
  });

  it("does not mutate its input", () => {
    const granted = ["notes:write"];
    effectiveScopes(granted);
    expect(granted).toEqual(["notes:write"]);
  });

  it.each(["__proto__", "constructor", "toString", "hasOwnProperty"])(
    "keeps the prototype-ish name %s as an unknown scope",
    (name) => {
      expect(effectiveScopes([name])).toEqual([name]);
    },
  );
});

describe("allows", () => {
  const cases: [string[], Scope | undefined, boolean][] = [
    [[], undefined, true],
    [["anything"], undefined, true],
    [[], "notes:read", false],
    [[], "notes:write", false],
    [["notes:read"], "notes:read", true],
    [["notes:read"], "notes:write", false],
    [["notes:write"], "notes:write", true],
    [["notes:write"], "notes:read", true],
    [["admin"], "notes:read", false],
    [["NOTES:READ"], "notes:read", false],
  ];
  it.each(cases)("%j allows %s: %s", (granted, needed, expected) => {
    expect(allows(granted, needed)).toBe(expected);
  });

  it("knows exactly the two note scopes", () => {
    expect(SCOPES).toEqual(["notes:read", "notes:write"]);
  });
});

describe("scope names like Object.prototype members are unknown scopes, nothing more", () => {
  const NAMES = Object.getOwnPropertyNames(Object.prototype);

  it.each(NAMES)("%s: kept as granted, implies nothing, allows nothing", (name) => {
    expect(effectiveScopes([name])).toEqual([name]);
    for (const scope of SCOPES) expect(allows([name], scope)).toBe(false);
  });
});

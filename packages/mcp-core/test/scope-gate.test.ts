import { describe, expect, it } from "vitest";
import { findScopeShortfall } from "../src/scope-gate.ts";

const call = (name: unknown, id: number | string = 1) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name, arguments: {} },
});

describe("findScopeShortfall", () => {
  it("a notes:read caller calling notes_add needs notes:write", () => {
    expect(findScopeShortfall(call("notes_add"), ["notes:read"])).toEqual({
      tools: new Set(["notes_add"]),
      scopes: ["notes:write"],
    });
  });

  it.each<[string, string[]]>([
    ["notes_add", ["notes:write"]],
    ["notes_delete", ["notes:write"]],
    ["notes_add", ["notes:read", "notes:write"]],
    ["notes_list", ["notes:read"]],
    ["notes_list", ["notes:write"]],
    ["whoami", []],
    ["echo", []],
  ])("%s is allowed with %j", (name, scopes) => {
    expect(findScopeShortfall(call(name), scopes)).toBeUndefined();
  });

  it.each<[string, string[], string[]]>([
    ["notes_list", [], ["notes:read"]],
    ["notes_add", [], ["notes:write"]],
    ["notes_delete", ["notes:read"], ["notes:write"]],
    ["notes_add", ["admin", "NOTES:WRITE"], ["notes:write"]],
  ])("%s is denied with %j", (name, scopes, needed) => {
    expect(findScopeShortfall(call(name), scopes)).toEqual({ tools: new Set([name]), scopes: needed });
  });

  it.each(["tools/list", "initialize", "resources/read", "notifications/initialized"])(
    "%s never needs a scope",
    (method) => {
      expect(findScopeShortfall({ jsonrpc: "2.0", id: 1, method, params: { name: "notes_add" } }, [])).toBeUndefined();
    },
  );

  it("a batch collects every denied tool and every needed scope once", () => {
    const batch = [
      call("notes_add", 1),
      call("whoami", 2),
      call("notes_delete", 3),
      call("notes_list", 4),
      call("notes_add", 5),
    ];
    expect(findScopeShortfall(batch, [])).toEqual({
      tools: new Set(["notes_add", "notes_delete", "notes_list"]),
      scopes: ["notes:write", "notes:read"],
    });
    expect(findScopeShortfall(batch, ["notes:read"])).toEqual({
      tools: new Set(["notes_add", "notes_delete"]),
      scopes: ["notes:write"],
    });
    expect(findScopeShortfall(batch, ["notes:write"])).toBeUndefined();
  });

  it("a batch with hostile members still finds the denied call", () => {
    expect(
      findScopeShortfall(
        [null, 1, "x", [call("notes_add")], { method: "tools/call", params: null }, call("notes_add")],
        [],
      ),
    ).toEqual({
      tools: new Set(["notes_add"]),
      scopes: ["notes:write"],
    });
  });

  it.each<[string, unknown]>([
    ["an unknown tool", call("notes_purge")],
    ["a tool name differing in case", call("NOTES_ADD")],
    ["a tool name with whitespace", call(" notes_add")],
    ["__proto__ as tool name", call("__proto__")],
    ["constructor as tool name", call("constructor")],
    ["null", null],
    ["undefined", undefined],
    ["a number", 42],
    ["a string", "tools/call"],
    ["true", true],
    ["an empty object", {}],
    ["an empty array", []],
    ["a nested batch", [[call("notes_add")]]],
    ["method not a string", { method: ["tools/call"], params: { name: "notes_add" } }],
    ["no params", { method: "tools/call" }],
    ["params null", { method: "tools/call", params: null }],
    ["params a string", { method: "tools/call", params: "notes_add" }],
    ["params an array", { method: "tools/call", params: ["notes_add"] }],
    ["name missing", { method: "tools/call", params: {} }],
    ["name a number", call(3)],
    ["name null", call(null)],
    ["name an array", call(["notes_add"])],
    ["name an object", call({ toString: () => "notes_add" })],
    ["name a String object", call(new String("notes_add"))],
  ])("%s → undefined, without throwing", (_label, body) => {
    expect(findScopeShortfall(body, [])).toBeUndefined();
  });

  it("a JSON-parsed __proto__ key does not confuse it", () => {
    const body: unknown = JSON.parse('{"method":"tools/call","params":{"__proto__":{"name":"notes_add"}}}');
    expect(findScopeShortfall(body, [])).toBeUndefined();
    const polluted: unknown = JSON.parse('{"__proto__":{"method":"tools/call"},"params":{"name":"notes_add"}}');
    expect(findScopeShortfall(polluted, [])).toBeUndefined();
  });
});

describe("tool names like Object.prototype members", () => {
  it.each(["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf", "__defineGetter__", "isPrototypeOf"])(
    "calling %s with no scopes is no shortfall (an unknown tool is the SDK's answer)",
    (name) => {
      expect(findScopeShortfall(call(name), [])).toBeUndefined();
      expect(findScopeShortfall([call(name), call("notes_add", 2)], [])).toEqual({
        tools: new Set(["notes_add"]),
        scopes: ["notes:write"],
      });
    },
  );
});

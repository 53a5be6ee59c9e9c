// The endpoint's answers to requests whose params fail the SDK's schema, and to client-supplied
// strings too long to copy into an error: real Requests through createMcpEndpoint, so the real
// SDK server answers whatever the check lets through.
import { anonymousIdentity, toAuthInfo } from "@mcp-auth/identity";
import { describe, expect, it } from "vitest";
import { createMcpEndpoint } from "../src/endpoint.ts";
import { MAX_NAME_LENGTH, MAX_URI_LENGTH } from "../src/message-check.ts";
import { MemoryNotes } from "./notes-fake.ts";

const endpoint = createMcpEndpoint({
  name: "check-test",
  version: "1.0.0",
  allowedHostnames: ["mcp.example.com"],
  allowedOriginHostnames: [],
});
const MODERN = "2026-07-28";
const MODERN_META = {
  "io.modelcontextprotocol/protocolVersion": MODERN,
  "io.modelcontextprotocol/clientCapabilities": {},
  "io.modelcontextprotocol/clientInfo": { name: "check-test", version: "1.0.0" },
};
const HUGE = "x".repeat(40_000);
const LONG = "y".repeat(3000);

interface Answer {
  status: number;
  text: string;
  id: unknown;
  result: unknown;
  error: { code: number; message: string } | undefined;
}

/** One POST to /mcp; the JSON-RPC answer whether it came as JSON or as one SSE event. */
async function post(body: unknown, version = "2025-06-18", headers: Record<string, string> = {}): Promise<Answer> {
  const notes = new MemoryNotes();
  const response = await endpoint.fetch(
    new Request("https://mcp.example.com/mcp", {
      method: "POST",
      headers: {
        host: "mcp.example.com",
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": version,
        ...headers,
      },
      body: typeof body === "string" ? body : JSON.stringify(body),
    }),
    { authInfo: toAuthInfo(anonymousIdentity("no-auth", ["notes:read", "notes:write"])), notes: () => notes },
  );
  const text = await response.text();
  const data = text.split("\n").find((line) => line.startsWith("data: "));
  const json = (text === "" ? {} : JSON.parse(data === undefined ? text : data.slice(6))) as Omit<
    Answer,
    "status" | "text"
  >;
  return { status: response.status, text, id: json.id, result: json.result, error: json.error };
}

/** A 2026-07-28 request: the envelope in `_meta` and the standard headers that mirror the body. */
async function postModern(method: string, params: Record<string, unknown>, headers: Record<string, string> = {}) {
  const name: Record<string, string> = typeof params["name"] === "string" ? { "mcp-name": params["name"] } : {};
  return post({ jsonrpc: "2.0", id: 9, method, params: { ...params, _meta: MODERN_META } }, MODERN, {
    "mcp-method": method,
    ...name,
    ...headers,
  });
}

const INIT = { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "c", version: "1" } };

describe("params that fail the SDK's schema: -32602 naming the field, never -32603 or a schema dump", () => {
  it.each<[string, string, unknown, string]>([
    ["initialize, protocolVersion a number", "initialize", { ...INIT, protocolVersion: 42 }, "params.protocolVersion"],
    ["initialize, protocolVersion alone", "initialize", { protocolVersion: 42 }, "params.protocolVersion"],
    [
      "initialize, protocolVersion an object",
      "initialize",
      { ...INIT, protocolVersion: { $gt: "" } },
      "params.protocolVersion",
    ],
    ["initialize without params", "initialize", undefined, "params"],
    ["initialize, clientInfo a number", "initialize", { ...INIT, clientInfo: 5 }, "params.clientInfo"],
    [
      "initialize, clientInfo without a name",
      "initialize",
      { ...INIT, clientInfo: { version: "1" } },
      "params.clientInfo.name",
    ],
    ["initialize, capabilities a string", "initialize", { ...INIT, capabilities: "all" }, "params.capabilities"],
    ["tools/list, cursor a number", "tools/list", { cursor: 5 }, "params.cursor"],
    ["tools/call, name a number", "tools/call", { name: 42 }, "params.name"],
    ["tools/call, arguments an array", "tools/call", { name: "echo", arguments: [] }, "params.arguments"],
    ["tools/call without a name", "tools/call", { arguments: {} }, "params.name"],
  ])("%s → 400 -32602", async (_label, method, params, field) => {
    const answer = await post({ jsonrpc: "2.0", id: 3, method, ...(params === undefined ? {} : { params }) });
    expect(answer.status).toBe(400);
    expect(answer.id).toBe(3);
    expect(answer.error?.code).toBe(-32602);
    expect(answer.error?.message).toMatch(new RegExp(`^Invalid params: ${method}: ${field.replaceAll(".", "\\.")}: `));
    expect(answer.error?.message.length).toBeLessThanOrEqual(240);
    expect(answer.text).not.toMatch(/invalid_type|"path"|\\n/);
  });

  it("initialize with protocolVersion 42 names the field and the expected type", async () => {
    const answer = await post({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { ...INIT, protocolVersion: 42 },
    });
    expect(answer).toMatchObject({
      status: 400,
      id: 1,
      error: {
        code: -32602,
        message: "Invalid params: initialize: params.protocolVersion: Invalid input: expected string, received number",
      },
    });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ["tools/list", { cursor: 5 }, "params.cursor"],
    ["tools/call", { name: 42 }, "params.name"],
    ["tools/call", { name: "echo", arguments: "text" }, "params.arguments"],
  ])("2026-07-28: %s with %j → 400 -32602 naming %s", async (method, params, field) => {
    const answer = await postModern(method, params);
    expect(answer.status).toBe(400);
    expect(answer.error?.code).toBe(-32602);
    expect(answer.error?.message).toContain(`${method}: ${field}: `);
  });

  it("a client-chosen key in the failing path is cut short, and so is the whole message", async () => {
    const answer = await post({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { ...INIT, capabilities: { experimental: { [LONG]: 5 } } },
    });
    expect(answer.error).toEqual({
      code: -32602,
      message: `Invalid params: initialize: params.capabilities.experimental.${"y".repeat(31)}…: Invalid input: expected record, received number`,
    });
  });

  it("valid requests of both eras are still served (controls)", async () => {
    expect((await post({ jsonrpc: "2.0", id: 1, method: "initialize", params: INIT })).result).toMatchObject({
      serverInfo: { name: "check-test" },
    });
    const tools = await post({ jsonrpc: "2.0", id: 2, method: "tools/list", params: {} });
    expect((tools.result as { tools: { name: string }[] }).tools.map((tool) => tool.name)).toContain("echo");
    expect((await post({ jsonrpc: "2.0", id: 3, method: "ping" })).result).toEqual({});
    const echo = await postModern("tools/call", { name: "echo", arguments: { text: "hi" } });
    expect(echo.result).toMatchObject({ structuredContent: { text: "hi" } });
    expect((await postModern("server/discover", {})).result).toMatchObject({ supportedVersions: [MODERN] });
  });

  it("JSON-RPC shape errors are still the SDK's -32600, without a copy of the body", async () => {
    for (const params of [null, 5, "x", [HUGE]]) {
      const answer = await post({ jsonrpc: "2.0", id: 1, method: "tools/call", params });
      expect(answer.status).toBe(400);
      expect(answer.error).toEqual({
        code: -32600,
        message: "Bad Request: the request body is not a valid JSON-RPC message",
      });
    }
  });
});

describe("era rules come before params checks", () => {
  it.each<[string, Record<string, unknown>]>([
    ["initialize", {}],
    ["initialize", { protocolVersion: 42 }],
    ["initialize", INIT],
    ["ping", {}],
    ["ping", { _meta: 5 }],
  ])("2026-07-28: removed method %s with %j → 404 -32601, not a params refusal", async (method, params) => {
    const answer = await postModern(method, params);
    expect(answer).toMatchObject({ status: 404, id: 9, error: { code: -32601, message: "Method not found" } });
  });

  it("2025-era: server/discover (a 2026-07-28 method) without an envelope is the SDK's -32601, not a params refusal", async () => {
    const answer = await post({ jsonrpc: "2.0", id: 4, method: "server/discover", params: {} });
    expect(answer).toMatchObject({ status: 200, id: 4, error: { code: -32601, message: "Method not found" } });
  });

  it("a request the SDK's classifier refuses gets the SDK's answer: a modern header without an envelope", async () => {
    const answer = await post({ jsonrpc: "2.0", id: 4, method: "tools/call", params: { name: 42 } }, MODERN, {
      "mcp-method": "tools/call",
    });
    expect(answer.status).toBe(400);
    expect(answer.error?.code).toBe(-32602);
    expect(answer.error?.message).toMatch(
      /^Invalid params: the MCP-Protocol-Version header names protocol revision 2026-07-28/,
    );
  });
});

/** Names of `Object.prototype` members: a plain-object lookup keyed by one finds something. */
const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype);

describe("names of Object.prototype members are names like any other, never a 500", () => {
  it.each(PROTOTYPE_NAMES)("method %s → the SDK's -32601 in both eras", async (name) => {
    const legacy = await post({ jsonrpc: "2.0", id: 7, method: name, params: {} });
    expect(legacy).toMatchObject({ status: 200, id: 7, error: { code: -32601, message: "Method not found" } });
    const modern = await postModern(name, {});
    expect(modern).toMatchObject({ status: 404, id: 9, error: { code: -32601, message: "Method not found" } });
  });

  it.each(PROTOTYPE_NAMES)("method %s with a long params.name → 'name too long', in both eras", async (name) => {
    const expected = {
      status: 400,
      error: { code: -32602, message: "Invalid params: name too long (params.name has more than 128 characters)" },
    };
    expect(await post({ jsonrpc: "2.0", id: 7, method: name, params: { name: LONG } })).toMatchObject(expected);
    expect(await postModern(name, { name: LONG }, { "mcp-name": "x" })).toMatchObject(expected);
  });

  it("an unknown tool is answered 200 -32602 'not found' by the SDK (control)", async () => {
    const legacy = await post({ jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "nope", arguments: {} } });
    expect(legacy).toMatchObject({ status: 200, id: 7, error: { code: -32602, message: "Tool nope not found" } });
    const modern = await postModern("tools/call", { name: "nope", arguments: {} });
    expect(modern).toMatchObject({ status: 200, id: 9, error: { code: -32602, message: "Tool nope not found" } });
  });

  it.each(PROTOTYPE_NAMES)("tools/call of a tool named %s → the same 'not found', in both eras", async (name) => {
    const legacy = await post({ jsonrpc: "2.0", id: 7, method: "tools/call", params: { name, arguments: {} } });
    expect(legacy).toMatchObject({ status: 200, id: 7, error: { code: -32602, message: `Tool ${name} not found` } });
    const modern = await postModern("tools/call", { name, arguments: {} });
    expect(modern).toMatchObject({ status: 200, id: 9, error: { code: -32602, message: `Tool ${name} not found` } });
  });

  it.each(PROTOTYPE_NAMES)("a notification named %s is accepted and dropped", async (name) => {
    const answer = await post({ jsonrpc: "2.0", method: name });
    expect(answer.status).toBe(202);
    expect(answer.text).toBe("");
  });
});

describe("client-supplied strings are never copied back unbounded", () => {
  const over = (max: number) => "n".repeat(max + 1);

  it("a 40 KB tool name → 400 -32602 'tool name too long', the name not echoed", async () => {
    const answer = await post({ jsonrpc: "2.0", id: 5, method: "tools/call", params: { name: HUGE, arguments: {} } });
    expect(answer).toMatchObject({
      status: 400,
      id: 5,
      error: { code: -32602, message: "Invalid params: tool name too long (params.name has more than 128 characters)" },
    });
    expect(answer.text.length).toBeLessThan(200);
  });

  it("the bound is exact: a 128-character unknown name is the SDK's 'not found', 129 is refused", async () => {
    const longest = "n".repeat(MAX_NAME_LENGTH);
    const unknown = await post({
      jsonrpc: "2.0",
      id: 6,
      method: "tools/call",
      params: { name: longest, arguments: {} },
    });
    expect(unknown.error).toEqual({ code: -32602, message: `Tool ${longest} not found` });
    const refused = await post({
      jsonrpc: "2.0",
      id: 6,
      method: "tools/call",
      params: { name: over(MAX_NAME_LENGTH) },
    });
    expect(refused.error?.message).toBe(
      "Invalid params: tool name too long (params.name has more than 128 characters)",
    );
  });

  it.each<[string, () => Promise<Answer>, number, number, string]>([
    [
      "a 40 KB method",
      () => post({ jsonrpc: "2.0", id: 1, method: HUGE }),
      400,
      -32601,
      "Method not found: the method name has more than 128 characters",
    ],
    [
      "a 40 KB notification method",
      () => post({ jsonrpc: "2.0", method: `notifications/${HUGE}` }),
      400,
      -32601,
      "Method not found: the method name has more than 128 characters",
    ],
    [
      "2026-07-28: a 40 KB method and Mcp-Method header",
      () => postModern(HUGE, {}),
      400,
      -32601,
      "Method not found: the method name has more than 128 characters",
    ],
    [
      "2026-07-28: a 40 KB Mcp-Method header",
      () => postModern("tools/list", {}, { "mcp-method": HUGE.slice(0, 8000) }),
      400,
      -32020,
      "Bad Request: the request headers and body disagree: the Mcp-Method header has more than 128 characters",
    ],
    [
      "2026-07-28: a long Mcp-Name header",
      () => postModern("tools/call", { name: "echo", arguments: { text: "a" } }, { "mcp-name": HUGE.slice(0, 8000) }),
      400,
      -32020,
      "Bad Request: the request headers and body disagree: the Mcp-Name header has more than 128 characters",
    ],
    [
      "a long MCP-Protocol-Version header",
      () => post({ jsonrpc: "2.0", id: 1, method: "tools/list" }, HUGE.slice(0, 8000)),
      400,
      -32000,
      "Bad Request: Unsupported protocol version (the MCP-Protocol-Version header has more than 128 characters)",
    ],
    [
      "2026-07-28: a long protocol version in the envelope",
      () =>
        post(
          {
            jsonrpc: "2.0",
            id: 1,
            method: "tools/list",
            params: { _meta: { ...MODERN_META, "io.modelcontextprotocol/protocolVersion": HUGE } },
          },
          MODERN,
          { "mcp-method": "tools/list" },
        ),
      400,
      -32602,
      'Invalid params: protocol version too long (params._meta["io.modelcontextprotocol/protocolVersion"] has more than 128 characters)',
    ],
    [
      "a 40 KB prompt name",
      () => post({ jsonrpc: "2.0", id: 1, method: "prompts/get", params: { name: HUGE } }),
      400,
      -32602,
      "Invalid params: prompt name too long (params.name has more than 128 characters)",
    ],
    [
      "2026-07-28: a 40 KB prompt name",
      () => postModern("prompts/get", { name: HUGE }, { "mcp-name": "short" }),
      400,
      -32602,
      "Invalid params: prompt name too long (params.name has more than 128 characters)",
    ],
    [
      "a resource URI over 2048 characters",
      () => post({ jsonrpc: "2.0", id: 1, method: "resources/read", params: { uri: `https://a/${HUGE}` } }),
      400,
      -32602,
      "Invalid params: resource URI too long (params.uri has more than 2048 characters)",
    ],
    [
      "a 40 KB task id",
      () => post({ jsonrpc: "2.0", id: 1, method: "tasks/get", params: { taskId: HUGE } }),
      400,
      -32602,
      "Invalid params: task id too long (params.taskId has more than 128 characters)",
    ],
    [
      "a 40 KB string id",
      () => post({ jsonrpc: "2.0", id: HUGE, method: "tools/list" }),
      400,
      -32600,
      "Invalid Request: the id has more than 128 characters",
    ],
  ])("%s → refused, nothing copied", async (_label, send, status, code, message) => {
    const answer = await send();
    expect(answer.status).toBe(status);
    expect(answer.error).toEqual({ code, message });
    expect(answer.text.length).toBeLessThan(300);
  });

  it("a URI of exactly 2048 characters is left to the SDK (method not found, nothing copied)", async () => {
    const uri = `https://a/${"u".repeat(MAX_URI_LENGTH - 10)}`;
    const answer = await post({ jsonrpc: "2.0", id: 1, method: "resources/read", params: { uri } });
    expect(answer.error).toEqual({ code: -32601, message: "Method not found" });
  });

  it("a batch (2025-03-26) with one bad message is refused whole, with a null id", async () => {
    const answer = await post(
      [
        { jsonrpc: "2.0", id: 1, method: "tools/list" },
        { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: HUGE } },
      ],
      "2025-03-26",
    );
    expect(answer).toMatchObject({ status: 400, id: null, error: { code: -32602 } });
  });
});

describe("the whole class: every spec request method with garbage params, in both eras", () => {
  const METHODS = [
    "ping",
    "initialize",
    "completion/complete",
    "logging/setLevel",
    "prompts/get",
    "prompts/list",
    "resources/list",
    "resources/templates/list",
    "resources/read",
    "resources/subscribe",
    "resources/unsubscribe",
    "tools/call",
    "tools/list",
    "tasks/get",
    "tasks/result",
    "tasks/list",
    "tasks/cancel",
    "server/discover",
    "subscriptions/listen",
  ];
  const GARBAGE: Record<string, unknown>[] = [
    {},
    { protocolVersion: 42, capabilities: 1, clientInfo: [] },
    { cursor: 5, name: 42, uri: 42, taskId: {}, arguments: [], level: 7, ref: 1, argument: 1, filter: 5 },
    // Five of them must fit in the 64 KiB body limit.
    { name: LONG, uri: `https://a/${LONG}`, taskId: LONG, cursor: LONG, level: LONG },
  ];

  it.each(METHODS)("%s: never 5xx, never -32603, never a dump, never a copy", async (method) => {
    for (const params of GARBAGE) {
      for (const answer of [
        await post({ jsonrpc: "2.0", id: 1, method, params }),
        await postModern(method, params, typeof params["name"] === "string" ? { "mcp-name": "x" } : {}),
      ]) {
        expect(answer.status).toBeLessThan(500);
        expect(answer.error?.code).not.toBe(-32603);
        if (answer.error !== undefined) expect(answer.text.length).toBeLessThan(600);
        expect(answer.status).not.toBe(413);
        expect(answer.text).not.toContain(LONG.slice(0, MAX_NAME_LENGTH + 1));
        expect(answer.text).not.toMatch(/invalid_type|"path"|\\n/);
      }
    }
  });
});

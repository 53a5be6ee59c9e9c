import { describe, expect, it } from "vitest";
import { DEFAULT_BODY_LIMITS, checkBatch, jsonDepth, readJsonBody, readMcpBody, type BodyLimits } from "../src/body.ts";

const URL_ = "https://mcp.example.com/mcp";
const MESSAGE = { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "echo", arguments: { text: "hi" } } };

function post(
  body: BodyInit | null,
  headers: Record<string, string> = { "content-type": "application/json" },
): Request {
  return new Request(URL_, { method: "POST", headers, body });
}

/** A request whose body is a stream of `chunks` with no Content-Length, and what happened to the stream. */
function streamed(
  chunks: readonly Uint8Array[] | (() => Uint8Array),
  headers: Record<string, string> = { "content-type": "application/json" },
) {
  const state = { pulls: 0, cancelled: false };
  let index = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      state.pulls++;
      if (typeof chunks === "function") {
        controller.enqueue(chunks());
        return;
      }
      const chunk = chunks[index++];
      if (chunk === undefined) controller.close();
      else controller.enqueue(chunk);
    },
    cancel() {
      state.cancelled = true;
    },
  });
  const init = { method: "POST", headers, body: stream, duplex: "half" };
  const request = new Request(URL_, init);
  expect(request.headers.has("content-length")).toBe(false);
  return { request, state };
}

const encode = (text: string) => new TextEncoder().encode(text);

describe("readJsonBody: Content-Type", () => {
  it.each([
    ["text/plain", { "content-type": "text/plain" }],
    ["text/json", { "content-type": "text/json" }],
    ["application/jsonx", { "content-type": "application/jsonx" }],
    ["application/json-seq", { "content-type": "application/json-seq" }],
    ["application/x-www-form-urlencoded", { "content-type": "application/x-www-form-urlencoded" }],
    ["multipart/form-data", { "content-type": "multipart/form-data; boundary=x" }],
    ["application/json in a parameter only", { "content-type": "text/plain; type=application/json" }],
    ["an empty Content-Type", { "content-type": "" }],
    ["no Content-Type", {}],
  ])("%s → 415", async (_label, headers) => {
    const request = post(encode(JSON.stringify(MESSAGE)), headers);
    expect(await readJsonBody(request)).toEqual({
      ok: false,
      rejection: {
        status: 415,
        code: -32000,
        message: "Unsupported Media Type: Content-Type must be application/json",
      },
    });
    expect(request.bodyUsed).toBe(false);
  });

  it.each([
    "application/json",
    "application/json; charset=utf-8",
    "Application/JSON",
    " application/json ;charset=UTF-8",
    "application/json;",
  ])("%j is accepted", async (contentType) => {
    expect(await readJsonBody(post(JSON.stringify(MESSAGE), { "content-type": contentType }))).toEqual({
      ok: true,
      body: MESSAGE,
    });
  });
});

describe("readJsonBody: size", () => {
  const limits: BodyLimits = { maxBytes: 100, maxDepth: 8, maxBatch: 4 };
  const tooLarge = {
    ok: false,
    rejection: { status: 413, code: -32000, message: "Request body is larger than 100 bytes" },
  };

  it("refuses a declared Content-Length above the limit without reading the body", async () => {
    const request = post("{}", { "content-type": "application/json", "content-length": "101" });
    expect(await readJsonBody(request, limits)).toEqual(tooLarge);
    expect(request.bodyUsed).toBe(false);
  });

  it("refuses a declared Content-Length above the default limit", async () => {
    const request = post("{}", {
      "content-type": "application/json",
      "content-length": String(DEFAULT_BODY_LIMITS.maxBytes + 1),
    });
    expect(await readJsonBody(request)).toEqual({
      ok: false,
      rejection: {
        status: 413,
        code: -32000,
        message: `Request body is larger than ${DEFAULT_BODY_LIMITS.maxBytes} bytes`,
      },
    });
  });

  it("refuses a body larger than its (lying) Content-Length says", async () => {
    const text = JSON.stringify({ pad: "x".repeat(200) });
    expect(
      await readJsonBody(post(text, { "content-type": "application/json", "content-length": "10" }), limits),
    ).toEqual(tooLarge);
  });

  it("refuses a streamed body without Content-Length at the limit and cancels the stream", async () => {
    const { request, state } = streamed(() => encode("[".repeat(16)));
    expect(await readJsonBody(request, limits)).toEqual(tooLarge);
    expect(state.cancelled).toBe(true);
    // 100 bytes are crossed on the 7th chunk of 16; the reader never drains an endless stream
    expect(state.pulls).toBeLessThanOrEqual(10);
  });

  it("refuses a plain string body one byte over the limit", async () => {
    const text = JSON.stringify({ a: "x".repeat(93) });
    expect(encode(text).byteLength).toBe(101);
    expect(await readJsonBody(post(text), limits)).toEqual(tooLarge);
  });

  it("counts bytes, not characters", async () => {
    const text = JSON.stringify({ a: "\u00e9".repeat(46) }); // 8 + 92 bytes = 100, but 54 characters
    expect(encode(text).byteLength).toBe(100);
    expect(await readJsonBody(post(text), limits)).toEqual({ ok: true, body: { a: "\u00e9".repeat(46) } });
    const over = JSON.stringify({ a: "\u00e9".repeat(47) });
    expect(over.length).toBeLessThan(100);
    expect(await readJsonBody(post(over), limits)).toEqual(tooLarge);
  });

  it("accepts a body of exactly maxBytes", async () => {
    const text = JSON.stringify({ a: "x".repeat(100 - 8) });
    expect(encode(text).byteLength).toBe(100);
    expect(
      await readJsonBody(post(text, { "content-type": "application/json", "content-length": "100" }), limits),
    ).toEqual({
      ok: true,
      body: { a: "x".repeat(92) },
    });
  });

  it("reassembles a multi-chunk stream, even with a character split across chunks", async () => {
    const bytes = encode(JSON.stringify({ text: "caf\u00e9 \u4e2d" }));
    const cut = bytes.indexOf(0xc3) + 1; // in the middle of "é"
    const { request } = streamed([bytes.slice(0, cut), bytes.slice(cut, cut + 2), bytes.slice(cut + 2)]);
    expect(await readJsonBody(request)).toEqual({ ok: true, body: { text: "caf\u00e9 \u4e2d" } });
  });
});

describe("readJsonBody: encoding and syntax", () => {
  it.each([
    ["a lone 0xFF", [0x22, 0xff, 0x22]],
    ["a truncated sequence", [0x22, 0xc3, 0x22]],
    ["an overlong '/'", [0x22, 0xc0, 0xaf, 0x22]],
    ["an encoded surrogate", [0x22, 0xed, 0xa0, 0x80, 0x22]],
    ["Latin-1 é", [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xe9, 0x22, 0x7d]],
  ])("%s → 400 -32700", async (_label, bytes) => {
    expect(await readJsonBody(post(new Uint8Array(bytes)))).toEqual({
      ok: false,
      rejection: { status: 400, code: -32700, message: "Parse error: the request body is not valid UTF-8" },
    });
  });

  it.each([
    "{",
    "{'a':1}",
    "[1,]",
    "undefined",
    "NaN",
    '{"a":1}}',
    '"unterminated',
    "",
    " ",
    "// comment\n{}",
    '{"a":01}',
  ])("invalid JSON %j → 400 -32700", async (text) => {
    expect(await readJsonBody(post(text))).toEqual({
      ok: false,
      rejection: { status: 400, code: -32700, message: "Parse error: the request body is not valid JSON" },
    });
  });

  it("a POST without any body → 400 -32700", async () => {
    expect(await readJsonBody(post(null))).toEqual({
      ok: false,
      rejection: { status: 400, code: -32700, message: "Parse error: the request body is empty" },
    });
  });

  it.each<[string, unknown]>([
    ["a JSON-RPC request", MESSAGE],
    ["a batch", [MESSAGE, { ...MESSAGE, id: 2 }]],
    ["a scalar", 42],
    ["null", null],
    ["a string with escapes", 'a "quoted" \\ string \u2028'],
  ])("parses %s", async (_label, value) => {
    expect(await readJsonBody(post(JSON.stringify(value)))).toEqual({ ok: true, body: value });
  });

  it("ignores a UTF-8 byte order mark", async () => {
    expect(await readJsonBody(post(new Uint8Array([0xef, 0xbb, 0xbf, ...encode("{}")])))).toEqual({
      ok: true,
      body: {},
    });
  });
});

describe("readJsonBody: depth", () => {
  const deep = (levels: number, open = "[", close = "]") => open.repeat(levels) + close.repeat(levels);
  const objects = (levels: number) => '{"a":'.repeat(levels - 1) + "{}" + "}".repeat(levels - 1);

  it.each([
    ["arrays", deep(DEFAULT_BODY_LIMITS.maxDepth + 1)],
    ["objects", objects(DEFAULT_BODY_LIMITS.maxDepth + 1)],
    ["far too deep (would overflow a recursive walker)", deep(100_000)],
    ["invalid JSON that is too deep", "[".repeat(DEFAULT_BODY_LIMITS.maxDepth + 1)],
  ])("%s one level past the default → 400 -32700", async (_label, text) => {
    expect(
      await readJsonBody(post(text), { maxBytes: 1_000_000, maxDepth: DEFAULT_BODY_LIMITS.maxDepth, maxBatch: 4 }),
    ).toEqual({
      ok: false,
      rejection: {
        status: 400,
        code: -32700,
        message: `Parse error: JSON nested deeper than ${DEFAULT_BODY_LIMITS.maxDepth} levels`,
      },
    });
  });

  it("accepts exactly maxDepth levels", async () => {
    const result = await readJsonBody(post(deep(DEFAULT_BODY_LIMITS.maxDepth)));
    expect(result.ok).toBe(true);
    expect(jsonDepth(JSON.stringify(result.ok ? result.body : undefined))).toBe(DEFAULT_BODY_LIMITS.maxDepth);
  });

  it("honours a custom maxDepth", async () => {
    expect(await readJsonBody(post('{"a":[1]}'), { maxBytes: 1000, maxDepth: 2, maxBatch: 4 })).toEqual({
      ok: true,
      body: { a: [1] },
    });
    expect(await readJsonBody(post('{"a":[[1]]}'), { maxBytes: 1000, maxDepth: 2, maxBatch: 4 })).toEqual({
      ok: false,
      rejection: { status: 400, code: -32700, message: "Parse error: JSON nested deeper than 2 levels" },
    });
  });

  it.each([
    ["brackets inside a string", JSON.stringify({ a: "[[[[{{{{" })],
    ["closing brackets inside a string", JSON.stringify({ a: "]]]]}}}}" })],
    ["an escaped quote before brackets", JSON.stringify({ a: '\\"[[[[' })],
    ["an escaped quote followed by brackets", JSON.stringify({ a: '"[[[[{{' })],
  ])("%s does not count toward depth", async (_label, text) => {
    const parsed: unknown = JSON.parse(text);
    expect(await readJsonBody(post(text), { maxBytes: 1000, maxDepth: 1, maxBatch: 4 })).toEqual({
      ok: true,
      body: parsed,
    });
  });
});

describe("jsonDepth", () => {
  it.each<[string, number]>([
    ["", 0],
    ["1", 0],
    ['"[{"', 0],
    ["[]", 1],
    ["{}", 1],
    ["[[], {}, []]", 2],
    ['[{"a":[1]}]', 3],
    ['{"a":"}}}{{{"}', 1],
    ['["\\"[["]', 1],
    ['["\\\\", [1]]', 2],
    ['["\\\\\\"[", [1]]', 2],
    ['{"a\\"]":[{"b":"\\\\"}]}', 3],
    ["[[[]]][[]]", 3],
  ])("%j → %i", (text, depth) => {
    expect(jsonDepth(text)).toBe(depth);
  });

  it("a wide array stays shallow", () => {
    expect(jsonDepth(`[${"[],".repeat(1000)}[]]`)).toBe(2);
  });

  it.each([1, 2, 32, 33, 500])("counts %i nested levels built by JSON.stringify", (levels) => {
    let value: unknown = [];
    for (let i = 1; i < levels; i++) value = i % 2 === 0 ? [value] : { k: value, s: ']}\\"[{' };
    expect(jsonDepth(JSON.stringify(value))).toBe(levels);
  });
});

/** A JSON-RPC error body as `jsonRpcErrorResponse` writes it. */
function jsonRpcError(message: string, code = -32000) {
  return { jsonrpc: "2.0", error: { code, message }, id: null };
}

async function expectError(result: Response | { body: unknown } | undefined, status: number, body: unknown) {
  expect(result).toBeInstanceOf(Response);
  if (!(result instanceof Response)) throw new Error("unreachable");
  expect(result.status).toBe(status);
  expect(result.headers.get("content-type")).toBe("application/json");
  expect(await result.json()).toEqual(body);
}

function versioned(body: string, headers: Record<string, string> = {}): Request {
  return post(body, { "content-type": "application/json", ...headers });
}

describe("checkBatch", () => {
  const batch = [MESSAGE, { ...MESSAGE, id: 2 }];

  it.each<[string, unknown]>([
    ["one message", MESSAGE],
    ["null", null],
    ["a scalar", 1],
  ])("passes %s whatever the revision", (_label, body) => {
    expect(checkBatch(versioned("", { "mcp-protocol-version": "2025-11-25" }), body)).toBeUndefined();
  });

  it.each<[string, Record<string, string>]>([
    ["no MCP-Protocol-Version (2025-03-26 implied)", {}],
    ["2025-03-26", { "mcp-protocol-version": "2025-03-26" }],
    ["2024-11-05", { "mcp-protocol-version": "2024-11-05" }],
  ])("allows a batch with %s", (_label, headers) => {
    expect(checkBatch(versioned("", headers), batch)).toBeUndefined();
  });

  it.each(["2025-06-18", "2025-11-25", "2026-07-28", "garbage"])(
    "refuses a batch under revision %s",
    async (revision) => {
      await expectError(
        checkBatch(versioned("", { "mcp-protocol-version": revision }), batch),
        400,
        jsonRpcError(`Invalid Request: JSON-RPC batches are not allowed in protocol revision ${revision}`, -32600),
      );
    },
  );

  it("refuses an empty batch", async () => {
    await expectError(
      checkBatch(versioned(""), []),
      400,
      jsonRpcError("Invalid Request: an empty JSON-RPC batch", -32600),
    );
  });

  it("caps a batch at maxBatch messages, so one request cannot do the work of many", async () => {
    const full = Array.from({ length: DEFAULT_BODY_LIMITS.maxBatch }, (_, id) => ({ ...MESSAGE, id }));
    expect(checkBatch(versioned(""), full)).toBeUndefined();
    await expectError(
      checkBatch(versioned(""), [...full, MESSAGE]),
      400,
      jsonRpcError(`Invalid Request: a JSON-RPC batch holds at most ${DEFAULT_BODY_LIMITS.maxBatch} messages`, -32600),
    );
  });
});

describe("readMcpBody", () => {
  it("returns the parsed body", async () => {
    expect(await readMcpBody(versioned(JSON.stringify(MESSAGE)))).toEqual({ body: MESSAGE });
  });

  it.each<[string, Record<string, string>, string, BodyLimits | undefined, number, number, string]>([
    [
      "a wrong Content-Type",
      { "content-type": "text/plain" },
      "{}",
      undefined,
      415,
      -32000,
      "Unsupported Media Type: Content-Type must be application/json",
    ],
    ["invalid JSON", {}, "{", undefined, 400, -32700, "Parse error: the request body is not valid JSON"],
    [
      "a body over the configured limit",
      {},
      JSON.stringify({ a: "x".repeat(50) }),
      { maxBytes: 16, maxDepth: 4, maxBatch: 4 },
      413,
      -32000,
      "Request body is larger than 16 bytes",
    ],
    [
      "a body nested past the configured depth",
      {},
      "[[[[[]]]]]",
      { maxBytes: 1000, maxDepth: 4, maxBatch: 4 },
      400,
      -32700,
      "Parse error: JSON nested deeper than 4 levels",
    ],
    [
      "a batch under 2025-06-18",
      { "mcp-protocol-version": "2025-06-18" },
      JSON.stringify([MESSAGE, MESSAGE]),
      undefined,
      400,
      -32600,
      "Invalid Request: JSON-RPC batches are not allowed in protocol revision 2025-06-18",
    ],
  ])("answers %s with a JSON-RPC error", async (_label, headers, body, limits, status, code, message) => {
    await expectError(await readMcpBody(versioned(body, headers), limits), status, jsonRpcError(message, code));
  });
});

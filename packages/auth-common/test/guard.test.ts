import { describe, expect, it } from "vitest";
import { MAX_BEARER_LENGTH } from "../src/bearer.ts";
import { HEADER_LIMITS, checkBatch, checkHeaderSize, guardRequest, type GuardOptions } from "../src/guard.ts";
import { originPolicy } from "../src/origin.ts";
import { FakeLimiter, jsonRpcError } from "./helpers.ts";

const MESSAGE = { jsonrpc: "2.0", id: 1, method: "tools/list" };

function options(limiter: FakeLimiter, body?: GuardOptions["body"]): GuardOptions {
  return { origins: originPolicy(["mcp.example.com"]), rateLimit: { limiter, periodSeconds: 60 }, body };
}

function request(method: string, headers: Record<string, string> = {}, body?: string): Request {
  return new Request("https://mcp.example.com/mcp", {
    method,
    headers: {
      host: "mcp.example.com",
      "cf-connecting-ip": "203.0.113.9",
      "content-type": "application/json",
      ...headers,
    },
    ...(body === undefined ? {} : { body }),
  });
}

async function expectResponse(result: Response | { parsedBody: unknown }, status: number, body: unknown) {
  expect(result).toBeInstanceOf(Response);
  if (!(result instanceof Response)) throw new Error("unreachable");
  expect(result.status).toBe(status);
  expect(await result.json()).toEqual(body);
  return result;
}

describe("guardRequest", () => {
  it.each([
    ["a foreign Host", { host: "evil.com" }, "Forbidden: Invalid Host: evil.com"],
    ["a foreign Origin", { origin: "https://evil.com" }, "Forbidden: Invalid Origin: evil.com"],
    ["a null Origin", { origin: "null" }, "Forbidden: Invalid Origin header: null"],
  ])("refuses %s before consulting the rate limiter", async (_label, headers, message) => {
    const limiter = new FakeLimiter(true);
    const post = request("POST", headers, JSON.stringify(MESSAGE));
    await expectResponse(await guardRequest(post, options(limiter)), 403, jsonRpcError(message));
    expect(limiter.keys).toEqual([]);
    expect(post.bodyUsed).toBe(false);
  });

  it("answers 429 with Retry-After when the limiter is exhausted, without reading the body", async () => {
    const limiter = new FakeLimiter(false);
    const post = request("POST", {}, JSON.stringify(MESSAGE));
    const response = await expectResponse(
      await guardRequest(post, options(limiter)),
      429,
      jsonRpcError("Too many requests from this address; retry after 60 seconds."),
    );
    expect(response.headers.get("retry-after")).toBe("60");
    expect(limiter.keys).toEqual(["203.0.113.9"]);
    expect(post.bodyUsed).toBe(false);
  });

  it("keys the limiter by unknown when CF-Connecting-IP is absent", async () => {
    const limiter = new FakeLimiter(true);
    const get = new Request("https://mcp.example.com/mcp", { headers: { host: "mcp.example.com" } });
    expect(await guardRequest(get, options(limiter))).toEqual({ parsedBody: undefined });
    expect(limiter.keys).toEqual(["unknown"]);
  });

  it("GET passes with parsedBody undefined", async () => {
    const limiter = new FakeLimiter(true);
    expect(await guardRequest(request("GET"), options(limiter))).toEqual({ parsedBody: undefined });
    expect(limiter.keys).toEqual(["203.0.113.9"]);
  });

  it.each(["DELETE", "PUT"])("%s with a body passes without reading the body", async (method) => {
    const req = request(method, { "content-type": "text/plain" }, "not json at all");
    expect(await guardRequest(req, options(new FakeLimiter(true)))).toEqual({ parsedBody: undefined });
    expect(req.bodyUsed).toBe(false);
  });

  it("POST returns the parsed body", async () => {
    const post = request("POST", {}, JSON.stringify([MESSAGE, { ...MESSAGE, id: 2 }]));
    expect(await guardRequest(post, options(new FakeLimiter(true)))).toEqual({
      parsedBody: [MESSAGE, { ...MESSAGE, id: 2 }],
    });
    expect(post.bodyUsed).toBe(true);
  });

  it("works without a rate limit", async () => {
    const post = request("POST", {}, JSON.stringify(MESSAGE));
    expect(await guardRequest(post, { origins: originPolicy(["mcp.example.com"]), rateLimit: undefined })).toEqual({
      parsedBody: MESSAGE,
    });
  });

  it.each<[string, Record<string, string>, string, GuardOptions["body"], number, number, string]>([
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
      { maxBytes: 16, maxDepth: 4 },
      413,
      -32000,
      "Request body is larger than 16 bytes",
    ],
    [
      "a body nested past the configured depth",
      {},
      "[[[[[]]]]]",
      { maxBytes: 1000, maxDepth: 4 },
      400,
      -32700,
      "Parse error: JSON nested deeper than 4 levels",
    ],
  ])("POST with %s → JSON-RPC error", async (_label, headers, body, limits, status, code, message) => {
    const response = await expectResponse(
      await guardRequest(request("POST", headers, body), options(new FakeLimiter(true), limits)),
      status,
      jsonRpcError(message, code),
    );
    expect(response.headers.get("content-type")).toBe("application/json");
  });
});

describe("checkHeaderSize", () => {
  it("passes ordinary headers and a maximal bearer token", () => {
    const token = "a".repeat(MAX_BEARER_LENGTH);
    expect(checkHeaderSize(request("POST", { authorization: `Bearer ${token}` }))).toBeUndefined();
  });

  it("passes a value of exactly maxValueBytes", () => {
    expect(checkHeaderSize(request("GET", { "x-big": "v".repeat(HEADER_LIMITS.maxValueBytes) }))).toBeUndefined();
  });

  it.each(["x-big", "authorization", "cookie"])("refuses one %s header over maxValueBytes with 431", async (name) => {
    const response = checkHeaderSize(request("GET", { [name]: "v".repeat(HEADER_LIMITS.maxValueBytes + 1) }));
    await expectResponse(
      response ?? { parsedBody: undefined },
      431,
      jsonRpcError(`Request header ${name} is larger than ${HEADER_LIMITS.maxValueBytes} bytes`),
    );
  });

  it("refuses many headers that are each small but too large together", async () => {
    const headers: Record<string, string> = {};
    const each = 4000;
    for (let i = 0; i * each <= HEADER_LIMITS.maxTotalBytes; i++) headers[`x-h${i}`] = "v".repeat(each);
    const response = checkHeaderSize(request("GET", headers));
    await expectResponse(
      response ?? { parsedBody: undefined },
      431,
      jsonRpcError(`Request headers are larger than ${HEADER_LIMITS.maxTotalBytes} bytes in total`),
    );
  });

  it("guardRequest checks header size first: no origin check, no limiter call, body unread", async () => {
    const limiter = new FakeLimiter(true);
    const post = request("POST", { host: "evil.com", "x-big": "v".repeat(HEADER_LIMITS.maxValueBytes + 1) }, "{}");
    await expectResponse(
      await guardRequest(post, options(limiter)),
      431,
      jsonRpcError(`Request header x-big is larger than ${HEADER_LIMITS.maxValueBytes} bytes`),
    );
    expect(limiter.keys).toEqual([]);
    expect(post.bodyUsed).toBe(false);
  });
});

describe("checkBatch", () => {
  const batch = [MESSAGE, { ...MESSAGE, id: 2 }];

  it.each<[string, unknown]>([
    ["one message", MESSAGE],
    ["null", null],
    ["a scalar", 1],
  ])("passes %s whatever the revision", (_label, body) => {
    expect(checkBatch(request("POST", { "mcp-protocol-version": "2025-11-25" }), body)).toBeUndefined();
  });

  it.each<[string, Record<string, string>]>([
    ["no MCP-Protocol-Version (2025-03-26 implied)", {}],
    ["2025-03-26", { "mcp-protocol-version": "2025-03-26" }],
    ["2024-11-05", { "mcp-protocol-version": "2024-11-05" }],
  ])("allows a batch with %s", (_label, headers) => {
    expect(checkBatch(request("POST", headers), batch)).toBeUndefined();
  });

  it.each(["2025-06-18", "2025-11-25", "2026-07-28", "garbage"])(
    "refuses a batch under revision %s",
    async (revision) => {
      const response = checkBatch(request("POST", { "mcp-protocol-version": revision }), batch);
      await expectResponse(
        response ?? { parsedBody: undefined },
        400,
        jsonRpcError(`Invalid Request: JSON-RPC batches are not allowed in protocol revision ${revision}`, -32600),
      );
    },
  );

  it("guardRequest applies the batch rule after parsing", async () => {
    const post = request("POST", { "mcp-protocol-version": "2025-06-18" }, JSON.stringify(batch));
    await expectResponse(
      await guardRequest(post, options(new FakeLimiter(true))),
      400,
      jsonRpcError("Invalid Request: JSON-RPC batches are not allowed in protocol revision 2025-06-18", -32600),
    );
    const single = request("POST", { "mcp-protocol-version": "2025-06-18" }, JSON.stringify(MESSAGE));
    expect(await guardRequest(single, options(new FakeLimiter(true)))).toEqual({ parsedBody: MESSAGE });
  });
});

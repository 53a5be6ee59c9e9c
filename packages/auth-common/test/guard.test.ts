import { describe, expect, it } from "vitest";
import { MAX_BEARER_LENGTH } from "../src/bearer.ts";
import { HEADER_LIMITS, checkHeaderSize, guardTransport, type TransportGuardOptions } from "../src/guard.ts";
import { originPolicy } from "../src/origin.ts";
import { FakeLimiter, jsonRpcError } from "./helpers.ts";

const MESSAGE = { jsonrpc: "2.0", id: 1, method: "tools/list" };

function options(limiter: FakeLimiter): TransportGuardOptions {
  return { origins: originPolicy(["mcp.example.com"]), rateLimit: { limiter, periodSeconds: 60 } };
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

async function expectResponse(result: Response | undefined, status: number, body: unknown) {
  expect(result).toBeInstanceOf(Response);
  if (!(result instanceof Response)) throw new Error("unreachable");
  expect(result.status).toBe(status);
  expect(await result.json()).toEqual(body);
  return result;
}

describe("guardTransport", () => {
  it.each([
    ["a foreign Host", { host: "evil.com" }, "Forbidden: Invalid Host: evil.com"],
    ["a foreign Origin", { origin: "https://evil.com" }, "Forbidden: Invalid Origin: evil.com"],
    ["a null Origin", { origin: "null" }, "Forbidden: Invalid Origin header: null"],
  ])("refuses %s before consulting the rate limiter", async (_label, headers, message) => {
    const limiter = new FakeLimiter(true);
    const post = request("POST", headers, JSON.stringify(MESSAGE));
    await expectResponse(await guardTransport(post, options(limiter)), 403, jsonRpcError(message));
    expect(limiter.keys).toEqual([]);
    expect(post.bodyUsed).toBe(false);
  });

  it("without the Origin check still refuses a foreign Host, and lets any Origin through", async () => {
    const limiter = new FakeLimiter(true);
    const noOrigin = { ...options(limiter), checkOrigin: false };
    await expectResponse(
      await guardTransport(request("POST", { host: "evil.com" }), noOrigin),
      403,
      jsonRpcError("Forbidden: Invalid Host: evil.com"),
    );
    expect(await guardTransport(request("POST", { origin: "https://client.example" }), noOrigin)).toBeUndefined();
    expect(limiter.keys).toEqual(["203.0.113.9"]);
  });

  it("answers 429 with Retry-After when the limiter is exhausted, without reading the body", async () => {
    const limiter = new FakeLimiter(false);
    const post = request("POST", {}, JSON.stringify(MESSAGE));
    const response = await expectResponse(
      await guardTransport(post, options(limiter)),
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
    expect(await guardTransport(get, options(limiter))).toBeUndefined();
    expect(limiter.keys).toEqual(["unknown"]);
  });

  it.each(["GET", "POST", "DELETE", "PUT"])("passes a good %s without reading its body", async (method) => {
    const body = method === "GET" ? undefined : "not json at all";
    const req = request(method, { "content-type": "text/plain" }, body);
    expect(await guardTransport(req, options(new FakeLimiter(true)))).toBeUndefined();
    expect(req.bodyUsed).toBe(false);
  });

  it("works without a rate limit", async () => {
    const post = request("POST", {}, JSON.stringify(MESSAGE));
    expect(await guardTransport(post, { origins: originPolicy(["mcp.example.com"]) })).toBeUndefined();
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
      response,
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
      response,
      431,
      jsonRpcError(`Request headers are larger than ${HEADER_LIMITS.maxTotalBytes} bytes in total`),
    );
  });

  it("guardTransport checks header size first: no origin check, no limiter call, body unread", async () => {
    const limiter = new FakeLimiter(true);
    const post = request("POST", { host: "evil.com", "x-big": "v".repeat(HEADER_LIMITS.maxValueBytes + 1) }, "{}");
    await expectResponse(
      await guardTransport(post, options(limiter)),
      431,
      jsonRpcError(`Request header x-big is larger than ${HEADER_LIMITS.maxValueBytes} bytes`),
    );
    expect(limiter.keys).toEqual([]);
    expect(post.bodyUsed).toBe(false);
  });
});

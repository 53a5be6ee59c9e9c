import { describe, expect, it } from "vitest";
import { checkRateLimit, clientAddress } from "../src/rate-limit.ts";
import { FakeLimiter, jsonRpcError, rejected } from "./helpers.ts";

describe("checkRateLimit", () => {
  it("returns undefined while the limit holds", async () => {
    const limiter = new FakeLimiter(true);
    expect(await checkRateLimit(limiter, "203.0.113.7", 60)).toBeUndefined();
    expect(limiter.keys).toEqual(["203.0.113.7"]);
  });

  it.each([10, 60])("answers 429 with Retry-After %i when exhausted", async (period) => {
    const limiter = new FakeLimiter(false);
    const response = await checkRateLimit(limiter, "198.51.100.1", period);
    expect(response).toBeInstanceOf(Response);
    if (response === undefined) throw new Error("unreachable");
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe(String(period));
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.json()).toEqual(
      jsonRpcError(`Too many requests from this address; retry after ${period} seconds.`),
    );
    expect(limiter.keys).toEqual(["198.51.100.1"]);
  });

  it("names what was limited", async () => {
    const response = await checkRateLimit(new FakeLimiter(false), "client:abc", 10, "token attempts for this client");
    expect(await response?.json()).toEqual(
      jsonRpcError("Too many token attempts for this client; retry after 10 seconds."),
    );
  });

  it("propagates a failing limiter instead of letting the request through", async () => {
    const error = await rejected(checkRateLimit(new FakeLimiter(), "k", 10));
    expect(error).toBeInstanceOf(Error);
    expect(error).toHaveProperty("message", "FakeLimiter: no answer scripted");
  });
});

describe("clientAddress", () => {
  it.each([
    ["203.0.113.7", "203.0.113.7"],
    ["2001:db8::1", "2001:db8::1"],
  ])("reads CF-Connecting-IP %s", (ip, expected) => {
    expect(clientAddress(new Request("https://x.example/", { headers: { "CF-Connecting-IP": ip } }))).toBe(expected);
  });

  it("ignores X-Forwarded-For and falls back to unknown", () => {
    expect(clientAddress(new Request("https://x.example/", { headers: { "X-Forwarded-For": "203.0.113.7" } }))).toBe(
      "unknown",
    );
    expect(clientAddress(new Request("https://x.example/"))).toBe("unknown");
  });
});

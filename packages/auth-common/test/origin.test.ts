import { describe, expect, it } from "vitest";
import { checkOrigin, originPolicy } from "../src/origin.ts";
import { jsonRpcError } from "./helpers.ts";

const POLICY = originPolicy(["MCP.Example.com", "api.example.org"], ["Inspector.Example.NET"]);

function request(headers: Record<string, string>): Request {
  return new Request("https://ignored.invalid/mcp", { method: "POST", headers });
}

async function expectForbidden(response: Response | undefined, message: string) {
  expect(response).toBeInstanceOf(Response);
  if (response === undefined) throw new Error("unreachable");
  expect(response.status).toBe(403);
  expect(response.headers.get("content-type")).toBe("application/json");
  expect(await response.json()).toEqual(jsonRpcError(`Forbidden: ${message}`));
}

describe("originPolicy", () => {
  it("allows loopback names and the configured hostnames, lower-cased and without duplicates", () => {
    const policy = originPolicy(["MCP.Example.com", "localhost", "mcp.example.com"], ["Other.example", "localhost"]);
    expect(policy.allowedHostnames).toEqual(["localhost", "127.0.0.1", "[::1]", "mcp.example.com"]);
    expect(policy.allowedOriginHostnames).toEqual([
      "localhost",
      "127.0.0.1",
      "[::1]",
      "mcp.example.com",
      "other.example",
    ]);
  });

  it("extra origins are not accepted as Host", () => {
    expect(POLICY.allowedHostnames).not.toContain("inspector.example.net");
    expect(POLICY.allowedOriginHostnames).toContain("inspector.example.net");
  });
});

describe("checkOrigin: Host", () => {
  it.each([
    "localhost",
    "localhost:8787",
    "127.0.0.1",
    "127.0.0.1:8787",
    "[::1]",
    "[::1]:8787",
    "mcp.example.com",
    "MCP.EXAMPLE.COM",
    "Mcp.Example.Com:443",
    "api.example.org:8443",
  ])("allows Host %s", (host) => {
    expect(checkOrigin(request({ host }), POLICY)).toBeUndefined();
  });

  it.each([
    ["evil.com", "evil.com"],
    ["evil.com:8787", "evil.com"],
    ["localhost.evil.com", "localhost.evil.com"],
    ["mcp.example.com.evil.com", "mcp.example.com.evil.com"],
    ["example.com", "example.com"],
    ["127.0.0.2", "127.0.0.2"],
    ["0.0.0.0:8787", "0.0.0.0"],
    ["[::2]", "[::2]"],
    ["inspector.example.net", "inspector.example.net"],
    ["user@mcp.example.com@evil.com", "evil.com"],
  ])("refuses Host %s", async (host, hostname) => {
    await expectForbidden(checkOrigin(request({ host }), POLICY), `Invalid Host: ${hostname}`);
  });

  it.each(["a b", "[::1", "mcp.example.com:99999"])("refuses the malformed Host %j", async (host) => {
    await expectForbidden(checkOrigin(request({ host }), POLICY), `Invalid Host header: ${host}`);
  });

  it("refuses a request without Host", async () => {
    await expectForbidden(checkOrigin(request({}), POLICY), "Missing Host header");
  });

  it("checks Host before Origin", async () => {
    await expectForbidden(
      checkOrigin(request({ host: "evil.com", origin: "https://evil.com" }), POLICY),
      "Invalid Host: evil.com",
    );
  });
});

describe("checkOrigin: Origin", () => {
  it.each([
    "https://mcp.example.com",
    "https://MCP.EXAMPLE.COM",
    "http://localhost:6274",
    "http://127.0.0.1:5173",
    "http://[::1]:3000",
    "https://inspector.example.net",
    "https://api.example.org:8443",
  ])("allows Origin %s", (origin) => {
    expect(checkOrigin(request({ host: "mcp.example.com", origin }), POLICY)).toBeUndefined();
  });

  it("allows a request without Origin (a non-browser client)", () => {
    expect(checkOrigin(request({ host: "mcp.example.com" }), POLICY)).toBeUndefined();
  });

  it.each([
    ["https://evil.com", "evil.com"],
    ["https://mcp.example.com.evil.com", "mcp.example.com.evil.com"],
    ["https://evil.com:443", "evil.com"],
    ["http://localhost.evil.com", "localhost.evil.com"],
    ["https://sub.mcp.example.com", "sub.mcp.example.com"],
    ["https://mcp.example.com@evil.com", "evil.com"],
  ])("refuses Origin %s from another site", async (origin, hostname) => {
    await expectForbidden(
      checkOrigin(request({ host: "mcp.example.com", origin }), POLICY),
      `Invalid Origin: ${hostname}`,
    );
  });

  it.each(["null", "not a url", "mcp.example.com", "file:///etc/passwd", "https://", "data:text/html,hi"])(
    "refuses the malformed Origin %j",
    async (origin) => {
      await expectForbidden(
        checkOrigin(request({ host: "mcp.example.com", origin }), POLICY),
        `Invalid Origin header: ${origin}`,
      );
    },
  );
});

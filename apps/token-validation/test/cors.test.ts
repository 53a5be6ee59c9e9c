import { describe, expect, it } from "vitest";
import { MCP_URL, createKey, rpc, viaWorker } from "./helpers.ts";

const APP_ORIGIN = "http://localhost:6274"; // e.g. the MCP Inspector's web UI: loopback is allowed

// A browser client sends a preflight first (never with credentials), then needs to read the
// challenge of a 401 to start OAuth, or the Retry-After of a 429.
describe("browser clients (CORS)", () => {
  it("a preflight from an allowed origin is answered 204 without any credential", async () => {
    const response = await viaWorker(MCP_URL.href, {
      method: "OPTIONS",
      headers: {
        origin: APP_ORIGIN,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type, mcp-protocol-version",
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe(APP_ORIGIN);
    expect(response.headers.get("access-control-allow-headers")).toMatch(/Authorization/);
    expect(response.headers.get("www-authenticate")).toBeNull();
  });

  it("a preflight from another site is refused 403 and grants nothing", async () => {
    const response = await viaWorker(MCP_URL.href, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(response.status).toBe(403);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("a 401 is readable: the origin is allowed and WWW-Authenticate is exposed", async () => {
    const response = await rpc(viaWorker, { origin: APP_ORIGIN });
    expect(response.status).toBe(401);
    expect(response.headers.get("access-control-allow-origin")).toBe(APP_ORIGIN);
    expect(response.headers.get("access-control-expose-headers")).toMatch(/WWW-Authenticate/);
    expect(response.headers.get("www-authenticate")).toBe("Bearer");
  });

  it("a 413 and a success carry the same headers", async () => {
    const { key } = await createKey(["notes:read"]);
    const tooBig = await viaWorker(MCP_URL.href, {
      method: "POST",
      headers: {
        origin: APP_ORIGIN,
        authorization: `Bearer ${key}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: { pad: "x".repeat(70_000) } }),
    });
    expect(tooBig.status).toBe(413);
    expect(tooBig.headers.get("access-control-allow-origin")).toBe(APP_ORIGIN);
    const ok = await rpc(viaWorker, { origin: APP_ORIGIN, authorization: `Bearer ${key}` });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe(APP_ORIGIN);
    expect(ok.headers.get("access-control-expose-headers")).toMatch(/Mcp-Session-Id/);
  });
});

describe("a foreign Host never reaches a page, metadata or a URL built from it", () => {
  it.each([
    "http://evil.example/",
    "http://evil.example/sse",
    "http://evil.example/.well-known/oauth-protected-resource/mcp",
    "http://evil.example/mcp",
  ])("%s → 403", async (url) => {
    const response = await viaWorker(url);
    expect(response.status).toBe(403);
    expect(await response.text()).not.toContain("evil.example/mcp");
  });
});

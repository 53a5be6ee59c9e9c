import { describeMcpContract, viaHandler, type FetchLike } from "@mcp-auth/mcp-core/testing";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../src/index.ts";

const MCP_URL = new URL("http://localhost/mcp");

/** Requests go straight into the Worker's default export inside workerd. */
const viaWorker: FetchLike = viaHandler((request) => exports.default.fetch(request));

/** The same Worker with other variables, as an operator would deploy it. */
function withVars(vars: Partial<Env>): FetchLike {
  const configured = { ...env, ...vars };
  // A request built in a test has no `cf` properties; the handler never reads them.
  return viaHandler(async (request) => worker.fetch(request, configured));
}

describeMcpContract({
  pattern: "no-auth",
  method: "anonymous",
  fullAccess: async () => ({ url: MCP_URL, fetch: viaWorker }),
  readOnly: {
    connect: async () => ({ url: MCP_URL, fetch: withVars({ ANONYMOUS_SCOPES: "notes:read" }) }),
    stepUp: false,
  },
});

describe("no-auth routes", () => {
  it("GET / is a page that explains the pattern and shows client configs for this URL", async () => {
    const response = await viaWorker("http://localhost/");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    expect(response.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    const page = await response.text();
    expect(page).toContain("No authentication");
    expect(page).toContain("http://localhost/mcp");
    for (const client of ["Claude Code", "Claude Desktop", "Cursor", "VS Code", "MCP Inspector", "mcp-remote"]) {
      expect(page).toContain(client);
    }
  });

  it("GET /sse (the retired transport) points to /mcp", async () => {
    const response = await viaWorker("http://localhost/sse");
    expect(response.status).toBe(410);
    expect(await response.json()).toMatchObject({
      error: "transport_retired",
      endpoint: "http://localhost/mcp",
    });
  });

  it("unknown paths are 404 JSON", async () => {
    const response = await viaWorker("http://localhost/admin");
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: "not_found" });
  });

  it("refuses to serve with a bad configuration and names the variable", async () => {
    const response = await withVars({ ANONYMOUS_SCOPES: "notes:read admin" })("http://localhost/mcp", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(response.status).toBe(500);
    const body = await response.json<{ error: string; error_description: string }>();
    expect(body.error).toBe("server_misconfigured");
    expect(body.error_description).toBe(
      "Invalid configuration — ANONYMOUS_SCOPES: 1 unknown scope; allowed: notes:read notes:write",
    );
  });

  it("names every bad variable in the same answer", async () => {
    const vars = { ANONYMOUS_SCOPES: "notes:read admin", RATE_LIMIT_PERIOD_SECONDS: "abc" };
    const response = await withVars(vars)("http://localhost/");
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({
      error: "server_misconfigured",
      error_description:
        "Invalid configuration — ANONYMOUS_SCOPES: 1 unknown scope; allowed: notes:read notes:write; " +
        "RATE_LIMIT_PERIOD_SECONDS: a whole number",
    });
  });

  it("an Origin of another site is refused with 403 before anything runs", async () => {
    const response = await viaWorker("http://localhost/mcp", {
      method: "POST",
      headers: { "content-type": "application/json", origin: "https://evil.example" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: { message: "Forbidden: Invalid Origin: evil.example" } });
  });
});

describe("browser clients (CORS)", () => {
  const preflight = (origin: string) =>
    viaWorker(MCP_URL.href, {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });

  it("a preflight from an allowed origin is 204 and echoes it, without credentials", async () => {
    const response = await preflight("http://localhost:6274");
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("http://localhost:6274");
    expect(response.headers.get("access-control-allow-credentials")).toBeNull();
  });

  it("a preflight from another site is 403 and grants nothing", async () => {
    const response = await preflight("https://evil.example");
    expect(response.status).toBe(403);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("an error answer is readable by an allowed origin (Retry-After and friends exposed)", async () => {
    const response = await viaWorker(MCP_URL.href, {
      method: "POST",
      headers: {
        origin: "http://localhost:6274",
        "content-type": "text/plain",
        accept: "application/json, text/event-stream",
      },
      body: "{}",
    });
    expect(response.status).toBe(415);
    expect(response.headers.get("access-control-allow-origin")).toBe("http://localhost:6274");
    expect(response.headers.get("access-control-expose-headers")).toMatch(/Retry-After/);
  });
});

describe("a foreign Host never reaches a page or a URL built from it", () => {
  it.each(["http://evil.example/", "http://evil.example/sse", "http://evil.example/mcp"])("%s → 403", async (url) => {
    const response = await viaWorker(url);
    expect(response.status).toBe(403);
    expect(await response.text()).not.toContain("evil.example/mcp");
  });
});

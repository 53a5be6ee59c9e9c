import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { adminRouteFor, adminSecretVar, serveAdmin, type AdminApi } from "../src/admin.ts";
import type { RateLimiter } from "../src/rate-limit.ts";

const SECRET = "unit-test-admin-secret-0123456789abcdef";

/** A limiter that allows `budget` calls per key. */
function limiter(budget: number): RateLimiter & { keys: string[] } {
  const counts = new Map<string, number>();
  const keys: string[] = [];
  return {
    keys,
    limit: async ({ key }) => {
      keys.push(key);
      counts.set(key, (counts.get(key) ?? 0) + 1);
      return { success: (counts.get(key) ?? 0) <= budget };
    },
  };
}

function setup(budget = 100, maxBodyBytes = 64) {
  const seen: { method: string; body: string }[] = [];
  const admin: AdminApi<unknown> & { secret: string } = {
    secret: SECRET,
    maxBodyBytes,
    routes: {
      "/admin/x": async (request) => {
        seen.push({ method: request.method, body: await request.text() });
        return new Response("served");
      },
    },
  };
  const limits = limiter(budget);
  const serve = (init: RequestInit & { address?: string } = {}) => {
    const request = new Request("https://mcp.example.com/admin/x", {
      ...init,
      headers: { "cf-connecting-ip": init.address ?? "192.0.2.1", ...Object.fromEntries(new Headers(init.headers)) },
    });
    const route = adminRouteFor(admin, request);
    if (route === undefined) throw new Error("no route");
    return serveAdmin(request, undefined, admin, route, { limiter: limits, periodSeconds: 60 });
  };
  return { admin, seen, limits, serve };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("adminRouteFor", () => {
  it("finds a route only while the secret is set, and only by its exact path", () => {
    const { admin } = setup();
    const at = (path: string) => new Request(`https://mcp.example.com${path}`);
    expect(adminRouteFor(admin, at("/admin/x"))).toBe(admin.routes["/admin/x"]);
    expect(adminRouteFor(admin, at("/admin/x/"))).toBeUndefined();
    expect(adminRouteFor(admin, at("/admin/toString"))).toBeUndefined();
    expect(adminRouteFor({ ...admin, secret: undefined }, at("/admin/x"))).toBeUndefined();
    expect(adminRouteFor(undefined, at("/admin/x"))).toBeUndefined();
  });
});

describe("serveAdmin", () => {
  it("the secret as a bearer reaches the route with the body", async () => {
    const { seen, serve, limits } = setup();
    const answer = await serve({ method: "POST", body: "hello", headers: { authorization: `Bearer ${SECRET}` } });
    expect(await answer.text()).toBe("served");
    expect(seen).toEqual([{ method: "POST", body: "hello" }]);
    // A right secret spends no budget.
    expect(limits.keys).toEqual([]);
  });

  it("a wrong secret → 401, the route never runs, one budget unit spent; the log names no secret", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const { seen, serve, limits } = setup();
    const answer = await serve({ headers: { authorization: `Bearer ${SECRET.slice(0, -1)}` } });
    expect(answer.status).toBe(401);
    expect(answer.headers.get("www-authenticate")).toBe('Bearer realm="admin"');
    expect(await answer.json()).toEqual({ error: "unauthorized", error_description: "The admin secret is wrong." });
    expect(seen).toEqual([]);
    expect(limits.keys).toEqual(["192.0.2.1"]);
    const logged = warn.mock.calls.map((call) => String(call[0])).join("\n");
    expect(logged).toContain('"reason":"admin_bad_secret"');
    expect(logged).not.toContain(SECRET.slice(0, 10));
  });

  it("the address's budget spent → 429 with Retry-After; another address still gets its 401", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const { serve } = setup(2);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await serve({ headers: { authorization: "Bearer x" } })).status);
    expect(statuses).toEqual([401, 401, 429]);
    const limited = await serve({ headers: { authorization: "Bearer x" } });
    expect(limited.headers.get("retry-after")).toBe("60");
    expect((await serve({ address: "192.0.2.2", headers: { authorization: "Bearer x" } })).status).toBe(401);
  });

  it("a body over the bound → 413 before the route runs, whatever Content-Length says", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const { seen, serve } = setup(100, 8);
    const answer = await serve({ method: "POST", body: "123456789", headers: { authorization: `Bearer ${SECRET}` } });
    expect(answer.status).toBe(413);
    expect(await answer.json()).toEqual({
      error: "invalid_request",
      error_description: "The request body is limited to 8 bytes.",
    });
    expect(seen).toEqual([]);
  });
});

describe("adminSecretVar", () => {
  const schema = z.object({ NOTES_ADMIN_SECRET: adminSecretVar() });
  it("unset or empty is off; 32 characters or more is on; shorter is refused without echoing it", () => {
    expect(schema.parse({}).NOTES_ADMIN_SECRET).toBeUndefined();
    expect(schema.parse({ NOTES_ADMIN_SECRET: "" }).NOTES_ADMIN_SECRET).toBeUndefined();
    expect(schema.parse({ NOTES_ADMIN_SECRET: "x".repeat(32) }).NOTES_ADMIN_SECRET).toBe("x".repeat(32));
    const refused = schema.safeParse({ NOTES_ADMIN_SECRET: "short-secret" });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.message).toBe(
      "at least 32 characters (a random value from a password manager), or unset to turn the admin route off",
    );
    expect(JSON.stringify(refused.error?.issues)).not.toContain("short-secret");
  });
});

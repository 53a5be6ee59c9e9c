import { describe, expect, it } from "vitest";
import { siteRoute, type Routes } from "../src/routes.ts";

const ORIGIN = "https://mcp.example.com";
const routes: Routes<string> = {
  "/": (_request, context) => new Response(`home ${context}`),
  "GET /login": () => new Response("login form"),
  "POST /login": () => new Response("signed in"),
  "/login": () => new Response("any other method"),
};
const answer = (path: string, method = "GET") =>
  siteRoute(new Request(new URL(path, ORIGIN), { method }), routes, "ctx");

describe("siteRoute", () => {
  it("answers a path from the table, handing the route its context", async () => {
    expect(await (await answer("/")).text()).toBe("home ctx");
  });

  it("a method-and-path entry wins over the path alone; other methods fall back to the path", async () => {
    expect(await (await answer("/login")).text()).toBe("login form");
    expect(await (await answer("/login", "POST")).text()).toBe("signed in");
    expect(await (await answer("/login", "PUT")).text()).toBe("any other method");
  });

  it("/sse is the retired transport's 410 with a pointer to /mcp, unless the table serves it", async () => {
    const response = await answer("/sse");
    expect(response.status).toBe(410);
    expect(await response.json()).toMatchObject({ error: "transport_retired", endpoint: `${ORIGIN}/mcp` });
  });

  it("anything else is a JSON 404; paths are exact (no prefix or trailing-slash match)", async () => {
    for (const path of ["/nope", "/login/", "/LOGIN", "/sse/"]) {
      const response = await answer(path);
      expect(response.status, path).toBe(404);
      expect(await response.json()).toEqual({ error: "not_found", error_description: "Try POST /mcp or GET /." });
    }
  });
});

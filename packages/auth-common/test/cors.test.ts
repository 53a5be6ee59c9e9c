import { describe, expect, it } from "vitest";
import { cors } from "../src/cors.ts";
import { originPolicy } from "../src/origin.ts";

const policy = originPolicy(["mcp.example.com"], ["app.example.com"]);

function preflightRequest(origin: string | undefined, method = "OPTIONS"): Request {
  return new Request("https://mcp.example.com/mcp", {
    method,
    headers: {
      ...(origin === undefined ? {} : { origin }),
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization, content-type",
    },
  });
}

describe("cors: preflight", () => {
  const route = cors({ origins: policy });

  it.each(["https://app.example.com", "http://localhost:6274", "https://mcp.example.com"])(
    "answers 204 for the allowed origin %s, echoing it, without credentials",
    (origin) => {
      const response = route.preflight(preflightRequest(origin));
      expect(response?.status).toBe(204);
      expect(response?.headers.get("access-control-allow-origin")).toBe(origin);
      expect(response?.headers.get("access-control-allow-headers")).toMatch(/Authorization/);
      expect(response?.headers.get("access-control-allow-headers")).toMatch(/Mcp-Protocol-Version/);
      expect(response?.headers.get("access-control-allow-methods")).toBe("GET, POST, DELETE, OPTIONS");
      expect(response?.headers.get("access-control-allow-credentials")).toBeNull();
      expect(response?.headers.get("vary")).toBe("Origin");
    },
  );

  it.each<[string, Request]>([
    ["another site", preflightRequest("https://evil.example")],
    ["a null origin", preflightRequest("null")],
    ["no origin", preflightRequest(undefined)],
    ["a POST", preflightRequest("https://app.example.com", "POST")],
    [
      "an OPTIONS that is not a preflight",
      new Request("https://mcp.example.com/mcp", { method: "OPTIONS", headers: { origin: "https://app.example.com" } }),
    ],
  ])("leaves %s alone", (_label, request) => {
    expect(route.preflight(request)).toBeUndefined();
  });

  it("with origins: any, echoes any web origin but never null or a non-web scheme", () => {
    const open = cors({ origins: "any", methods: ["POST", "OPTIONS"] });
    expect(open.preflight(preflightRequest("https://client.example"))?.headers.get("access-control-allow-origin")).toBe(
      "https://client.example",
    );
    expect(
      open.preflight(preflightRequest("https://client.example"))?.headers.get("access-control-allow-methods"),
    ).toBe("POST, OPTIONS");
    for (const origin of ["null", "chrome-extension://abc", "https://client.example/path", "not an origin"]) {
      expect(open.preflight(preflightRequest(origin))).toBeUndefined();
    }
  });
});

describe("cors: apply", () => {
  const route = cors({ origins: policy });
  const challenge = () =>
    new Response('{"error":"unauthorized"}', {
      status: 401,
      headers: { "www-authenticate": "Bearer", "access-control-allow-origin": "*" },
    });

  it("makes an error readable by an allowed origin, WWW-Authenticate included", async () => {
    const request = new Request("https://mcp.example.com/mcp", {
      method: "POST",
      headers: { origin: "https://app.example.com" },
    });
    const response = route.apply(request, challenge());
    expect(response.status).toBe(401);
    expect(response.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(response.headers.get("access-control-expose-headers")).toMatch(/WWW-Authenticate/);
    expect(response.headers.get("access-control-expose-headers")).toMatch(/Retry-After/);
    // withSunset's headers: a browser client can read when its anonymous access ends.
    expect(response.headers.get("access-control-expose-headers")).toMatch(/Deprecation, Sunset, Link/);
    expect(response.headers.get("www-authenticate")).toBe("Bearer");
    expect(await response.text()).toBe('{"error":"unauthorized"}');
  });

  it.each([
    ["another site", "https://evil.example"],
    ["no origin", undefined],
  ])("grants nothing to %s, and drops a wildcard someone else set", (_label, origin) => {
    const request = new Request("https://mcp.example.com/mcp", { headers: origin === undefined ? {} : { origin } });
    const response = route.apply(request, challenge());
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    expect(response.headers.get("access-control-expose-headers")).toBeNull();
    expect(response.headers.get("vary")).toBe("Origin");
  });
});

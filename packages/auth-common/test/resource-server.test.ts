import { describe, expect, it } from "vitest";
import { resourceServer } from "../src/resource-server.ts";

const AS = "https://auth.example.com";
const SCOPES = ["notes:read", "notes:write"];

function get(url: string): Request {
  return new Request(url);
}

describe("resourceServer with an authorization server", () => {
  const server = resourceServer({
    authorizationServers: [AS],
    scopesSupported: [...SCOPES, "offline_access"],
    initialScopes: ["notes:read"],
    resourceName: "Test",
  });

  it("names the resource from the request's origin when no public origin is set", () => {
    expect(server.advertised).toBe(true);
    expect(server.resource(get("https://mcp.example.com/anything?x=1"))).toBe("https://mcp.example.com/mcp");
  });

  it("challenges with resource_metadata and the initial scopes", () => {
    expect(server.challenge(get("https://mcp.example.com/mcp"))).toEqual({
      resourceMetadataUrl: "https://mcp.example.com/.well-known/oauth-protected-resource/mcp",
      scope: ["notes:read"],
    });
  });

  it.each(["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"])(
    "serves the metadata at %s, without offline_access",
    async (path) => {
      const response = server.metadataResponse(get(`https://mcp.example.com${path}`));
      expect(response?.status).toBe(200);
      expect(await response?.json()).toEqual({
        resource: "https://mcp.example.com/mcp",
        authorization_servers: [AS],
        scopes_supported: SCOPES,
        bearer_methods_supported: ["header"],
        resource_name: "Test",
      });
    },
  );

  it("leaves other paths alone", () => {
    expect(server.metadataResponse(get("https://mcp.example.com/mcp"))).toBeUndefined();
    expect(
      server.metadataResponse(get("https://mcp.example.com/.well-known/oauth-protected-resource/x")),
    ).toBeUndefined();
  });

  it("answers a missing scope with 403 naming held ∪ missing, never offline_access", async () => {
    const response = server.insufficientScope(
      get("https://mcp.example.com/mcp"),
      ["notes:read", "offline_access"],
      ["notes:write"],
    );
    expect(response?.status).toBe(403);
    expect(response?.headers.get("www-authenticate")).toBe(
      'Bearer error="insufficient_scope", error_description="This operation needs the scope notes:write.", ' +
        'scope="notes:read notes:write", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp"',
    );
    expect(await response?.json()).toEqual({
      error: "insufficient_scope",
      error_description: "This operation needs the scope notes:write.",
      scope: "notes:read notes:write",
    });
  });
});

describe("resourceServer with a public origin", () => {
  const server = resourceServer({
    publicOrigin: "https://mcp.example.com",
    authorizationServers: [AS],
    scopesSupported: SCOPES,
  });

  it("never takes the resource from the request's Host", async () => {
    const request = get("http://evil.example/.well-known/oauth-protected-resource");
    expect(server.resource(request)).toBe("https://mcp.example.com/mcp");
    expect(await server.metadataResponse(request)?.json()).toMatchObject({ resource: "https://mcp.example.com/mcp" });
    expect(server.challenge(request).resourceMetadataUrl).toBe(
      "https://mcp.example.com/.well-known/oauth-protected-resource/mcp",
    );
  });

  it.each(["https://mcp.example.com/base", "https://mcp.example.com/?x", "not a url"])(
    "refuses %j as a public origin",
    (publicOrigin) => {
      expect(() => resourceServer({ publicOrigin, authorizationServers: [AS], scopesSupported: SCOPES })).toThrow();
    },
  );
});

describe("resourceServer without an authorization server", () => {
  const server = resourceServer({ authorizationServers: [], scopesSupported: SCOPES });

  it("publishes nothing, challenges bare, and leaves a missing scope to a tool error", () => {
    const request = get("https://mcp.example.com/.well-known/oauth-protected-resource/mcp");
    expect(server.advertised).toBe(false);
    expect(server.metadataResponse(request)).toBeUndefined();
    expect(server.challenge(request)).toEqual({});
    expect(server.insufficientScope(request, ["notes:read"], ["notes:write"])).toBeUndefined();
  });
});

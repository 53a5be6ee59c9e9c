import { describe, expect, it } from "vitest";
import {
  protectedResourceMetadata,
  protectedResourceMetadataResponse,
  resourceMetadataUrl,
  type ProtectedResource,
} from "../src/metadata.ts";

const RESOURCE: ProtectedResource = {
  resource: "https://x.example/mcp",
  authorizationServers: ["https://auth.example"],
  scopesSupported: ["notes:read", "offline_access", "notes:write"],
  resourceName: "Notes",
};

const DOCUMENT = {
  resource: "https://x.example/mcp",
  authorization_servers: ["https://auth.example"],
  scopes_supported: ["notes:read", "notes:write"],
  bearer_methods_supported: ["header"],
  resource_name: "Notes",
};

describe("resourceMetadataUrl", () => {
  it.each([
    ["a path resource", "https://x.example/mcp", "https://x.example/.well-known/oauth-protected-resource/mcp"],
    ["a root resource", "https://x.example", "https://x.example/.well-known/oauth-protected-resource"],
    ["a root resource with a slash", "https://x.example/", "https://x.example/.well-known/oauth-protected-resource"],
    ["a trailing slash", "https://x.example/mcp/", "https://x.example/.well-known/oauth-protected-resource/mcp"],
    ["a nested path", "https://x.example/a/mcp", "https://x.example/.well-known/oauth-protected-resource/a/mcp"],
    ["a port", "https://x.example:8443/mcp", "https://x.example:8443/.well-known/oauth-protected-resource/mcp"],
  ])("%s", (_label, resource, expected) => {
    expect(resourceMetadataUrl(resource)).toBe(expected);
  });
});

describe("protectedResourceMetadata", () => {
  it("never lists offline_access and keeps resource exactly", () => {
    expect(protectedResourceMetadata(RESOURCE)).toEqual(DOCUMENT);
  });

  it("omits resource_name when not given", () => {
    const unnamed: ProtectedResource = { ...RESOURCE };
    delete unnamed.resourceName;
    expect(protectedResourceMetadata(unnamed)).not.toHaveProperty("resource_name");
  });
});

describe("protectedResourceMetadataResponse", () => {
  it.each([
    "https://x.example/.well-known/oauth-protected-resource/mcp",
    "https://x.example/.well-known/oauth-protected-resource",
  ])("serves the document at %s", async (url) => {
    const response = protectedResourceMetadataResponse(new Request(url), RESOURCE);
    expect(response?.status).toBe(200);
    expect(response?.headers.get("content-type")).toBe("application/json");
    expect(response?.headers.get("access-control-allow-origin")).toBe("*");
    const body: unknown = await response?.json();
    expect(body).toEqual(DOCUMENT);
    expect(JSON.stringify(body)).not.toContain("offline_access");
  });

  it("answers HEAD like GET", () => {
    const request = new Request("https://x.example/.well-known/oauth-protected-resource/mcp", { method: "HEAD" });
    expect(protectedResourceMetadataResponse(request, RESOURCE)?.status).toBe(200);
  });

  it("answers 405 for POST", async () => {
    const request = new Request("https://x.example/.well-known/oauth-protected-resource/mcp", { method: "POST" });
    const response = protectedResourceMetadataResponse(request, RESOURCE);
    expect(response?.status).toBe(405);
    expect(response?.headers.get("allow")).toBe("GET, HEAD");
    expect(await response?.json()).toEqual({ error: "method_not_allowed", error_description: "Use GET." });
  });

  it.each([
    "https://x.example/mcp",
    "https://x.example/",
    "https://x.example/.well-known/oauth-protected-resource/other",
    "https://x.example/.well-known/oauth-protected-resource/mcp/",
    "https://x.example/.well-known/oauth-authorization-server",
  ])("returns undefined for %s", (url) => {
    expect(protectedResourceMetadataResponse(new Request(url), RESOURCE)).toBeUndefined();
  });

  it("keeps `resource` exactly as configured (trailing slash, root)", async () => {
    for (const resource of ["https://x.example/mcp/", "https://x.example"]) {
      const response = protectedResourceMetadataResponse(new Request(resourceMetadataUrl(resource)), {
        ...RESOURCE,
        resource,
      });
      expect(await response?.json()).toMatchObject({ resource });
    }
  });
});

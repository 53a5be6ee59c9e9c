import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { callWith } from "./helpers.ts";

describe("configuration", () => {
  it.each([
    [{ PUBLIC_ORIGIN: "" }, "PUBLIC_ORIGIN: required"],
    [{ PUBLIC_ORIGIN: "https://mcp.example.com/path" }, "PUBLIC_ORIGIN: an origin only"],
    [{ PUBLIC_ORIGIN: "http://mcp.example.com" }, "PUBLIC_ORIGIN"],
    [{ PASSWORD_PEPPER: "" }, "PASSWORD_PEPPER: required"],
    [{ PASSWORD_PEPPER: "too-short" }, "PASSWORD_PEPPER: at least 32 characters"],
    [{ PASSWORD_PEPPER_PREVIOUS: "too-short" }, "PASSWORD_PEPPER_PREVIOUS: at least 32 characters"],
    [{ SESSION_SECRET: "" }, "SESSION_SECRET: required"],
    // The enterprise IdP: all or none, https only (the library refuses http, even on loopback).
    [{ ENTERPRISE_IDP_JWKS_URL: "" }, "ENTERPRISE_IDP_JWKS_URL: required with ENTERPRISE_IDP_ISSUER"],
    [{ ENTERPRISE_IDP_ISSUER: "" }, "ENTERPRISE_IDP_ISSUER: required with ENTERPRISE_IDP_JWKS_URL"],
    [{ ENTERPRISE_IDP_ALGORITHMS: "" }, "ENTERPRISE_IDP_ALGORITHMS: required with ENTERPRISE_IDP_ISSUER"],
    [{ ENTERPRISE_IDP_ALGORITHMS: "HS256" }, "ENTERPRISE_IDP_ALGORITHMS.0"],
    [{ ENTERPRISE_IDP_ISSUER: "http://127.0.0.1:8791" }, "ENTERPRISE_IDP_ISSUER: https only"],
    [{ ENTERPRISE_IDP_JWKS_URL: "http://127.0.0.1:8791/jwks" }, "ENTERPRISE_IDP_JWKS_URL: https only"],
    [{ ENTERPRISE_IDP_AUDIENCE: "not a url" }, "ENTERPRISE_IDP_AUDIENCE"],
    [
      {
        ENTERPRISE_IDP_ISSUER: "",
        ENTERPRISE_IDP_JWKS_URL: "",
        ENTERPRISE_IDP_ALGORITHMS: "",
        ENTERPRISE_IDP_AUDIENCE: "https://as.example",
      },
      "ENTERPRISE_IDP_AUDIENCE: only with ENTERPRISE_IDP_ISSUER",
    ],
  ] as const)("%o refuses to serve and names the problem, never a value", async (vars, named) => {
    const response = await callWith(vars, "/");
    expect(response.status).toBe(500);
    const body = await response.json<Record<string, unknown>>();
    expect(body["error"]).toBe("server_misconfigured");
    expect(String(body["error_description"])).toContain(named);
    for (const secret of [env.PASSWORD_PEPPER, env.SESSION_SECRET, "too-short"]) {
      expect(String(body["error_description"])).not.toContain(secret);
    }
  });

  it("serves without any ENTERPRISE_IDP_* variable: the enterprise grant is simply off", async () => {
    const none = { ENTERPRISE_IDP_ISSUER: "", ENTERPRISE_IDP_JWKS_URL: "", ENTERPRISE_IDP_ALGORITHMS: "" };
    expect((await callWith(none, "/")).status).toBe(200);
    const metadata = await callWith(none, "/.well-known/oauth-authorization-server");
    const grants = (await metadata.json<{ grant_types_supported: string[] }>()).grant_types_supported;
    expect(grants).not.toContain("urn:ietf:params:oauth:grant-type:jwt-bearer");
    const configured = await callWith({}, "/.well-known/oauth-authorization-server");
    expect((await configured.json<{ grant_types_supported: string[] }>()).grant_types_supported).toContain(
      "urn:ietf:params:oauth:grant-type:jwt-bearer",
    );
  });

  it("names every problem in one answer", async () => {
    const response = await callWith({ PASSWORD_PEPPER: "", SESSION_SECRET: "", PUBLIC_ORIGIN: "" }, "/");
    const description = String((await response.json<Record<string, unknown>>())["error_description"]);
    for (const name of ["PUBLIC_ORIGIN", "PASSWORD_PEPPER", "SESSION_SECRET"]) expect(description).toContain(name);
  });
});

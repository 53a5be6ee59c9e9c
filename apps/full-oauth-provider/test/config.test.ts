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

  it("names every problem in one answer", async () => {
    const response = await callWith({ PASSWORD_PEPPER: "", SESSION_SECRET: "", PUBLIC_ORIGIN: "" }, "/");
    const description = String((await response.json<Record<string, unknown>>())["error_description"]);
    for (const name of ["PUBLIC_ORIGIN", "PASSWORD_PEPPER", "SESSION_SECRET"]) expect(description).toContain(name);
  });
});

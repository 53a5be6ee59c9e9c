import { toAuthInfo, type Identity } from "@mcp-auth/identity";
import type { AuthInfo } from "@modelcontextprotocol/server";
import { describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { callerFromAuthInfo } from "../src/caller.ts";

const IDENTITY: Identity = {
  subject: "user-1",
  displayName: "Ada",
  clientId: "client-9",
  issuer: "https://idp.example.com",
  scopes: ["notes:read"],
  pattern: "token-validation",
  method: "jwt",
};

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("callerFromAuthInfo", () => {
  it("reads the identity auth-common packed, with its tenant", () => {
    expect(callerFromAuthInfo(toAuthInfo({ ...IDENTITY, expiresAt: 1_900_000_000 }))).toStrictEqual({
      subject: "user-1",
      displayName: "Ada",
      clientId: "client-9",
      issuer: "https://idp.example.com",
      scopes: ["notes:read"],
      pattern: "token-validation",
      method: "jwt",
      expiresAt: 1_900_000_000,
      tenant: "jwt|https%3A%2F%2Fidp.example.com|user-1",
    });
  });

  it("expands implied scopes", () => {
    expect(callerFromAuthInfo(toAuthInfo({ ...IDENTITY, scopes: ["notes:write", "other"] })).scopes).toEqual([
      "notes:write",
      "other",
      "notes:read",
    ]);
  });

  it("leaves displayName and expiresAt undefined when absent", () => {
    const caller = callerFromAuthInfo(toAuthInfo({ ...IDENTITY, displayName: undefined }));
    expect(caller.displayName).toBeUndefined();
    expect(caller.expiresAt).toBeUndefined();
  });

  it("gives equal subjects proven differently different tenants", () => {
    const jwt = callerFromAuthInfo(toAuthInfo({ ...IDENTITY, subject: "alice" }));
    const apiKey = callerFromAuthInfo(toAuthInfo({ ...IDENTITY, subject: "alice", method: "api_key", issuer: "self" }));
    const otherIssuer = callerFromAuthInfo(toAuthInfo({ ...IDENTITY, subject: "alice", issuer: "https://b.example" }));
    expect(new Set([jwt.tenant, apiKey.tenant, otherIssuer.tenant]).size).toBe(3);
  });

  it("never exposes the token", () => {
    const caller = callerFromAuthInfo({ ...toAuthInfo(IDENTITY), token: "s3cr3t-token" });
    expect(JSON.stringify(caller)).not.toContain("s3cr3t-token");
  });

  it("throws on a missing authInfo", () => {
    const error = thrown(() => callerFromAuthInfo(undefined));
    expect(error).toBeInstanceOf(Error);
    expect(error).toHaveProperty("message", "identity: request reached the MCP server without an identity");
  });

  it.each<[string, Record<string, unknown> | undefined, (string | number)[]]>([
    ["no extra", undefined, []],
    ["extra without identity", {}, []],
    ["identity a string", { identity: "user-1" }, []],
    ["an empty subject", { identity: { ...IDENTITY, subject: "" } }, ["subject"]],
    ["no issuer", { identity: { ...IDENTITY, issuer: undefined } }, ["issuer"]],
    ["an unknown method", { identity: { ...IDENTITY, method: "magic" } }, ["method"]],
    ["a numeric displayName", { identity: { ...IDENTITY, displayName: 5 } }, ["displayName"]],
  ])("throws on %s", (_label, extra, path) => {
    const info: AuthInfo = { token: "", clientId: "client-9", scopes: [], ...(extra ? { extra } : {}) };
    const error = thrown(() => callerFromAuthInfo(info));
    expect(error).toBeInstanceOf(ZodError);
    if (!(error instanceof ZodError)) throw new Error("unreachable");
    expect(error.issues.map((issue) => issue.path)).toEqual([path]);
  });
});

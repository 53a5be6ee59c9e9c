import type { AuthInfo } from "@modelcontextprotocol/server";
import { describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { callerFromAuthInfo } from "../src/caller.ts";

const IDENTITY = { subject: "user-1", displayName: "Ada", pattern: "token-validation", method: "jwt" };

function authInfo(patch: Partial<AuthInfo> = {}): AuthInfo {
  return { token: "", clientId: "client-9", scopes: ["notes:read"], extra: { identity: IDENTITY }, ...patch };
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("callerFromAuthInfo", () => {
  it("reads the identity from extra.identity and the rest from AuthInfo", () => {
    expect(callerFromAuthInfo(authInfo({ expiresAt: 1_900_000_000 }))).toStrictEqual({
      subject: "user-1",
      displayName: "Ada",
      clientId: "client-9",
      scopes: ["notes:read"],
      pattern: "token-validation",
      method: "jwt",
      expiresAt: 1_900_000_000,
    });
  });

  it("expands implied scopes", () => {
    expect(callerFromAuthInfo(authInfo({ scopes: ["notes:write", "other"] })).scopes).toEqual([
      "notes:write",
      "other",
      "notes:read",
    ]);
  });

  it("leaves displayName and expiresAt undefined when absent", () => {
    const identity = { subject: IDENTITY.subject, pattern: IDENTITY.pattern, method: IDENTITY.method };
    const caller = callerFromAuthInfo(authInfo({ extra: { identity } }));
    expect(caller.displayName).toBeUndefined();
    expect(caller.expiresAt).toBeUndefined();
  });

  it("never exposes the token", () => {
    const caller = callerFromAuthInfo(authInfo({ token: "s3cr3t-token" }));
    expect(JSON.stringify(caller)).not.toContain("s3cr3t-token");
    expect(Object.keys(caller).sort()).toEqual([
      "clientId",
      "displayName",
      "expiresAt",
      "method",
      "pattern",
      "scopes",
      "subject",
    ]);
  });

  it("throws on a missing authInfo", () => {
    const error = thrown(() => callerFromAuthInfo(undefined));
    expect(error).toBeInstanceOf(Error);
    expect(error).toHaveProperty("message", "mcp-core: request reached the MCP server without an identity");
  });

  it.each<[string, Record<string, unknown> | undefined, (string | number)[]]>([
    ["no extra", undefined, []],
    ["extra without identity", {}, ["identity"]],
    ["identity null", { identity: null }, ["identity"]],
    ["identity a string", { identity: "user-1" }, ["identity"]],
    ["an empty subject", { identity: { ...IDENTITY, subject: "" } }, ["identity", "subject"]],
    ["a numeric subject", { identity: { ...IDENTITY, subject: 1 } }, ["identity", "subject"]],
    ["no pattern", { identity: { subject: "u", method: "jwt" } }, ["identity", "pattern"]],
    ["an empty method", { identity: { ...IDENTITY, method: "" } }, ["identity", "method"]],
    ["a numeric displayName", { identity: { ...IDENTITY, displayName: 5 } }, ["identity", "displayName"]],
  ])("throws on %s", (_label, extra, path) => {
    const error = thrown(() => callerFromAuthInfo(authInfo({ extra })));
    expect(error).toBeInstanceOf(ZodError);
    if (!(error instanceof ZodError)) throw new Error("unreachable");
    expect(error.issues.map((issue) => issue.path)).toEqual([path]);
  });
});

import { identityFromAuthInfo, toAuthInfo } from "@mcp-auth/identity";
import { describe, expect, it } from "vitest";
import { AuthError } from "../src/errors.ts";
import { grantIdOf, grantPropsSchema, identityFromGrant, type GrantProps } from "../src/grant.ts";
import { rejected } from "./helpers.ts";

const UPSTREAM_SECRET = "gho_upstream-access-token-never-shown";
const PROPS: GrantProps = {
  subject: "12345",
  displayName: "octocat",
  issuer: "https://github.com",
  upstream: { accessToken: UPSTREAM_SECRET, refreshToken: "ghr_refresh", expiresAt: 1_900_000_000 },
};
const AUTH = { scope: ["notes:read"], clientId: "client-1", expiresAt: 1_900_000_100 };

describe("identityFromGrant", () => {
  it("builds the oauth identity from ctx.auth and props, and drops the upstream tokens", () => {
    const identity = identityFromGrant({ ...AUTH, token: "our-own-access-token" } as typeof AUTH, PROPS, "oauth-proxy");
    expect(identity).toStrictEqual({
      subject: "12345",
      displayName: "octocat",
      clientId: "client-1",
      issuer: "https://github.com",
      scopes: ["notes:read"],
      pattern: "oauth-proxy",
      method: "oauth",
      expiresAt: 1_900_000_100,
    });
    const packed = JSON.stringify(toAuthInfo(identity));
    expect(packed).not.toContain(UPSTREAM_SECRET);
    expect(packed).not.toContain("ghr_refresh");
    expect(packed).not.toContain("our-own-access-token");
  });

  it("round-trips through AuthInfo for both OAuth apps", () => {
    for (const pattern of ["oauth-proxy", "full-oauth-provider"] as const) {
      const identity = identityFromGrant(AUTH, { subject: "u1", issuer: "self" }, pattern);
      expect(identityFromAuthInfo(toAuthInfo(identity))).toStrictEqual(identity);
    }
  });

  it.each<[string, unknown]>([
    ["no props", undefined],
    ["props of another shape", { userId: "u1" }],
    ["an extra key", { ...PROPS, password: "x" }],
    ["the reserved subject", { ...PROPS, subject: "anonymous" }],
    ["a subject with a control character", { ...PROPS, subject: "u\u0000" }],
    ["an upstream token that is empty", { ...PROPS, upstream: { accessToken: "" } }],
  ])("refuses %s as invalid_token", async (_label, props) => {
    const error = await rejected(Promise.resolve().then(() => identityFromGrant(AUTH, props, "oauth-proxy")));
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ code: "invalid_token", message: "The token's grant does not describe a user." });
  });

  it.each<[string, Partial<typeof AUTH>]>([
    ["no client id", { clientId: undefined }],
    ["a malformed scope", { scope: ["a b"] }],
  ])("refuses ctx.auth with %s as invalid_token", async (_label, patch) => {
    const error = await rejected(
      Promise.resolve().then(() => identityFromGrant({ ...AUTH, ...patch }, PROPS, "full-oauth-provider")),
    );
    expect(error).toMatchObject({ code: "invalid_token", message: "The token does not describe a caller." });
  });

  it("keeps the upstream tokens in the props schema only", () => {
    expect(grantPropsSchema.parse(PROPS).upstream?.accessToken).toBe(UPSTREAM_SECRET);
  });
});

describe("grantIdOf", () => {
  it("reads the grant from the library's userId:grantId:secret token", () => {
    expect(grantIdOf("u_0123456789abcdef0123456789abcdef:Gr4nt_id-1:s3cr3t")).toBe("Gr4nt_id-1");
  });

  it.each([
    ["no separators", "opaque-token"],
    ["two parts", "user:grant"],
    ["four parts", "user:grant:secret:extra"],
    ["an empty grant", "user::secret"],
    ["a grant with a slash", "user:../x:secret"],
    ["a grant with a space", "user:a b:secret"],
    ["an over-long grant", `user:${"g".repeat(129)}:secret`],
  ])("%s → undefined, so a caller that needs the grant refuses", (_name, token) => {
    expect(grantIdOf(token)).toBeUndefined();
  });
});

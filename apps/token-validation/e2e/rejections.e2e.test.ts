import { describe, expect, inject, it } from "vitest";
import { AUDIENCE, OPAQUE_RESOURCE } from "./constants.ts";
import { WHOAMI, accessToken, bearer, expectRejected, hs256Token, idpToken, mcpPost } from "./helpers.ts";

// The "keys" instance (api_key + HS256 JWT, no introspection, no authorization server): tokens
// meant for someone else are never passed through, and every bad credential gets its own answer.

const origin = () => inject("keys").origin;

describe("token passthrough is refused (R4)", () => {
  it("an opaque dev-idp access token → 401 invalid_token (this server cannot check it)", async () => {
    expectRejected(
      await mcpPost(origin(), bearer(await idpToken(OPAQUE_RESOURCE)), WHOAMI),
      401,
      "invalid_token",
      "The bearer credential is not one this server accepts.",
    );
  });

  it("a dev-idp JWT (RS256, iss = dev-idp) on the HS256-only instance → 401", async () => {
    expectRejected(
      await mcpPost(origin(), bearer(await idpToken(AUDIENCE)), WHOAMI),
      401,
      "invalid_token",
      "The token is signed with an algorithm this server does not allow.",
    );
  });

  it("a Cloudflare Access assertion where Access is not configured is no credential at all → 401", async () => {
    const answer = await mcpPost(origin(), { "cf-access-jwt-assertion": await accessToken() }, WHOAMI);
    expectRejected(answer, 401, "unauthorized", "This MCP server needs a credential in the Authorization header.");
    // No authorization server configured: no OAuth metadata to send clients to.
    expect(answer.headers.get("www-authenticate")).toBe("Bearer");
  });
});

describe("HS256 JWTs: each failed check is a 401 naming it", () => {
  it.each([
    ["another secret", {}, { secret: "some-other-secret-of-sufficient-length-0123456789" }, "The token is not valid."],
    [
      "another issuer",
      { iss: "https://evil.example" },
      {},
      'The token\'s "iss" claim is not valid here (check_failed).',
    ],
    [
      "another audience",
      { aud: "https://other.example/mcp" },
      {},
      'The token\'s "aud" claim is not valid here (check_failed).',
    ],
    ["expiry long past", {}, { ttlSeconds: -3600 }, "The token has expired."],
  ])("%s → 401", async (_name, claims, options, message) => {
    const token = await hs256Token(claims, options);
    expectRejected(await mcpPost(origin(), bearer(token), WHOAMI), 401, "invalid_token", message);
  });

  it("a valid HS256 token is served (the cases above differ from it in one thing only)", async () => {
    expect((await mcpPost(origin(), bearer(await hs256Token()), WHOAMI)).status).toBe(200);
  });
});

describe("malformed or misplaced credentials", () => {
  it("a token in the query string is ignored, and the answer says so", async () => {
    const token = await hs256Token();
    const answer = await mcpPost(origin(), {}, WHOAMI, `/mcp?access_token=${token}`);
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.text)).toEqual({
      error: "unauthorized",
      error_description: "Tokens in the query string are ignored: send the credential in the Authorization header.",
    });
    expect(answer.text).not.toContain(token);
  });

  it("the Basic scheme → 400 invalid_request", async () => {
    expectRejected(
      await mcpPost(origin(), { authorization: "Basic YWxpY2U6c2VjcmV0" }, WHOAMI),
      400,
      "invalid_request",
      "The Authorization scheme must be Bearer.",
    );
  });
});

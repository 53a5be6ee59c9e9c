import { freshAddress } from "@mcp-auth/dev-harness";
import { SignJWT, exportSPKI, generateKeyPair, importJWK, jwtVerify, type JWK } from "jose";
import { describe, expect, inject, it } from "vitest";
import { ACCESS_AUD, AUDIENCE, OPAQUE_RESOURCE, OTHER_OPAQUE_RESOURCE, OTHER_RESOURCE } from "./constants.ts";
import {
  WHOAMI,
  accessToken,
  bearer,
  expectRejected,
  idpRevoke,
  idpToken,
  mcpPost,
  structured,
  type McpAnswer,
} from "./helpers.ts";

// The "idp" instance: AUTH_METHODS=jwt,access,introspection against a real authorization server
// (dev-idp: JWKS and RFC 7662 introspection) and a fake Cloudflare Access team.

const origin = () => inject("idp").origin;
const AUD_MESSAGE = 'The token\'s "aud" claim is not valid here (check_failed).';

/** An RS256 JWT with dev-idp's claims, signed by a key dev-idp never published. */
async function forgedRs256(kid: string): Promise<string> {
  const { privateKey } = await generateKeyPair("RS256");
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ scope: "notes:read notes:write", client_id: "mcp-test-client" })
    .setProtectedHeader({ alg: "RS256", typ: "at+jwt", kid })
    .setIssuer(inject("devIdp").issuer)
    .setAudience(AUDIENCE)
    .setSubject("mcp-test-client")
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(privateKey);
}

describe("JWT access tokens verified with dev-idp's JWKS", () => {
  it("a dev-idp token for this resource works, as the client with the granted scopes", async () => {
    const answer = await mcpPost(origin(), bearer(await idpToken(AUDIENCE, "notes:read")), WHOAMI);
    expect(answer.status).toBe(200);
    expect(structured(answer)).toMatchObject({
      pattern: "token-validation",
      method: "jwt",
      subject: "mcp-test-client",
      clientId: "mcp-test-client",
      scopes: ["notes:read"],
    });
  });

  it("a dev-idp token for another resource indicator → 401 (audience)", async () => {
    const answer = await mcpPost(origin(), bearer(await idpToken(OTHER_RESOURCE)), WHOAMI);
    expectRejected(answer, 401, "invalid_token", AUD_MESSAGE);
  });

  it("an HS256 token (even with dev-idp's iss and this aud) → 401 algorithm not allowed", async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ scope: "notes:read notes:write" })
      .setProtectedHeader({ alg: "HS256", typ: "at+jwt" })
      .setIssuer(inject("devIdp").issuer)
      .setAudience(AUDIENCE)
      .setSubject("mcp-test-client")
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(new TextEncoder().encode("an-attacker-chosen-secret-0123456789abcdef"));
    expectRejected(
      await mcpPost(origin(), bearer(token), WHOAMI),
      401,
      "invalid_token",
      "The token is signed with an algorithm this server does not allow.",
    );
  });

  it("HS256 signed with dev-idp's own RSA public key (algorithm confusion) → 401 algorithm not allowed", async () => {
    // The attacker's view: the public key from the IdP's published JWKS, found through discovery.
    const discovery = (await (await fetch(`${inject("devIdp").issuer}/.well-known/openid-configuration`)).json()) as {
      jwks_uri: string;
    };
    const { keys } = (await (await fetch(discovery.jwks_uri)).json()) as { keys: JWK[] };
    const published = keys.find((key) => key.kty === "RSA");
    if (published?.kid === undefined) throw new Error("dev-idp publishes no RSA key with a kid");
    const publicKey = await importJWK(published, "RS256");
    if (publicKey instanceof Uint8Array) throw new Error("an RSA JWK imports as a key, not bytes");
    // The classic forgery: the public key's PEM bytes as the HMAC secret, with the real key's kid.
    const hmacSecret = new TextEncoder().encode(await exportSPKI(publicKey));
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ scope: "notes:read notes:write", client_id: "mcp-test-client" })
      .setProtectedHeader({ alg: "HS256", typ: "at+jwt", kid: published.kid })
      .setIssuer(inject("devIdp").issuer)
      .setAudience(AUDIENCE)
      .setSubject("mcp-test-client")
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(hmacSecret);
    // Control: a verifier that let the token pick the algorithm and used the key's bytes would
    // accept it, so a refusal below is the server pinning algorithms, not a malformed token.
    await expect(
      jwtVerify(token, hmacSecret, { issuer: inject("devIdp").issuer, audience: AUDIENCE }),
    ).resolves.toBeDefined();
    expectRejected(
      await mcpPost(origin(), bearer(token), WHOAMI),
      401,
      "invalid_token",
      "The token is signed with an algorithm this server does not allow.",
    );
  });

  it("an RS256 token signed by a key not in the JWKS → 401 unknown key", async () => {
    expectRejected(
      await mcpPost(origin(), bearer(await forgedRs256("not-a-dev-idp-kid")), WHOAMI),
      401,
      "invalid_token",
      "The token is signed with a key this server does not know.",
    );
  });

  it("no credential → 401 whose challenge points at the protected-resource metadata naming dev-idp", async () => {
    const answer = await mcpPost(origin(), {}, WHOAMI);
    expectRejected(answer, 401, "unauthorized", "This MCP server needs a credential in the Authorization header.");
    const metadataUrl = `${origin()}/.well-known/oauth-protected-resource/mcp`;
    expect(answer.headers.get("www-authenticate")).toBe(
      `Bearer scope="notes:read notes:write", resource_metadata="${metadataUrl}"`,
    );
    const metadata = await fetch(metadataUrl, { headers: { "cf-connecting-ip": freshAddress() } });
    expect(metadata.status).toBe(200);
    expect(await metadata.json()).toMatchObject({
      resource: `${origin()}/mcp`,
      authorization_servers: [inject("devIdp").issuer],
      scopes_supported: ["notes:read", "notes:write"],
    });
  });
});

describe("opaque tokens checked with dev-idp's introspection endpoint", () => {
  it("an opaque token revoked at the IdP before its first use → 401 not active", async () => {
    const token = await idpToken(OPAQUE_RESOURCE);
    await idpRevoke(token);
    expectRejected(await mcpPost(origin(), bearer(token), WHOAMI), 401, "invalid_token", "The token is not active.");
  });

  it("a token revoked after use is refused once the 30 s positive cache runs out, at the latest", async () => {
    const token = await idpToken(OPAQUE_RESOURCE);
    expect((await mcpPost(origin(), bearer(token), WHOAMI)).status).toBe(200);
    // The cached "active" answer was stored no later than this moment: it may serve until 30 s
    // after it, never past. Each later request is judged by when it was *sent*, so a slow answer
    // on a busy machine cannot move it across the bound (no window edge to be lucky with).
    const cachedBy = Date.now();
    await idpRevoke(token);
    const servedSentAt: number[] = [];
    let refused: McpAnswer | undefined;
    while (refused === undefined && Date.now() - cachedBy < 60_000) {
      const sentAt = Date.now() - cachedBy;
      const answer = await mcpPost(origin(), bearer(token), WHOAMI);
      if (answer.status === 200) servedSentAt.push(sentAt);
      else refused = answer;
      if (refused === undefined) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(refused).toBeDefined();
    if (refused !== undefined) expectRejected(refused, 401, "invalid_token", "The token is not active.");
    expect(servedSentAt.filter((sentAt) => sentAt > 30_000)).toEqual([]);
  });

  it("an opaque token the IdP issued for another audience → 401 (audience)", async () => {
    expectRejected(
      await mcpPost(origin(), bearer(await idpToken(OTHER_OPAQUE_RESOURCE)), WHOAMI),
      401,
      "invalid_token",
      "The token is not meant for this server (audience).",
    );
  });

  it("a bearer value the IdP never issued → 401 not active", async () => {
    const made_up = "Zm9yZ2VkLW9wYXF1ZS10b2tlbi10aGF0LW5vYm9keS1pc3N1ZWQ";
    expectRejected(await mcpPost(origin(), bearer(made_up), WHOAMI), 401, "invalid_token", "The token is not active.");
  });
});

describe("Cloudflare Access (Cf-Access-Jwt-Assertion)", () => {
  const access = (token: string) => ({ "cf-access-jwt-assertion": token });

  it("a valid Access JWT → served as the Access user, named by email", async () => {
    const answer = await mcpPost(origin(), access(await accessToken()), WHOAMI);
    expect(answer.status).toBe(200);
    expect(structured(answer)).toMatchObject({
      pattern: "token-validation",
      method: "access",
      subject: "7335d417-61da-459d-899c-0a01c76a2f94",
      displayName: "ada@example.com",
      clientId: "cloudflare-access",
      scopes: ["notes:read", "notes:write"],
    });
  });

  it("an Access JWT for another application (AUD) → 401", async () => {
    const answer = await mcpPost(origin(), access(await accessToken({ aud: ["another-app-aud-tag"] })), WHOAMI);
    expectRejected(answer, 401, "invalid_token", AUD_MESSAGE);
  });

  it("an expired Access JWT → 401", async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await accessToken({ iat: now - 7200, nbf: now - 7200, exp: now - 3600 });
    expectRejected(await mcpPost(origin(), access(token), WHOAMI), 401, "invalid_token", "The token has expired.");
  });

  it("an Access JWT from another team (iss) → 401", async () => {
    const token = await accessToken({ iss: "https://someone-else.cloudflareaccess.com", aud: [ACCESS_AUD] });
    expectRejected(
      await mcpPost(origin(), access(token), WHOAMI),
      401,
      "invalid_token",
      'The token\'s "iss" claim is not valid here (check_failed).',
    );
  });

  it("a forged Access JWT (the team's kid, another key) → 401", async () => {
    const { privateKey } = await generateKeyPair("RS256");
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ email: "mallory@example.com" })
      .setProtectedHeader({ alg: "RS256", kid: inject("access").privateJwk.kid ?? "" })
      .setIssuer(inject("access").origin)
      .setAudience([ACCESS_AUD])
      .setSubject("mallory")
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(privateKey);
    expectRejected(await mcpPost(origin(), access(token), WHOAMI), 401, "invalid_token", "The token is not valid.");
  });
});

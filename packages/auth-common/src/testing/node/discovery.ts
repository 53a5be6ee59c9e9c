import { describe, expect, it } from "vitest";
import { bearerChallenge, discover, postMcp, signIn } from "@mcp-auth/dev-harness";
import type { AuthorizationServerTarget } from "./token-endpoint.ts";

/** The logins {@link describeDiscovery} signs in. */
export const DISCOVERY_LOGINS = ["dave"] as const;

/**
 * What an MCP client discovers before it signs anyone in (the 401 challenge, RFC 9728 resource
 * metadata at both URLs, RFC 8414 AS metadata), and that tokens and metadata are bound to
 * PUBLIC_ORIGIN's host.
 */
export function describeDiscovery(target: AuthorizationServerTarget): void {
  describe("discovery", () => {
    it("POST /mcp without a token: 401 naming the resource metadata and notes:read, never offline_access", async () => {
      const response = await postMcp(target.origin());
      expect(response.status).toBe(401);
      const challenge = bearerChallenge(response.headers.get("www-authenticate"));
      expect(challenge?.params["resource_metadata"]).toBe(
        `${target.origin()}/.well-known/oauth-protected-resource/mcp`,
      );
      expect(challenge?.params["scope"]).toBe("notes:read");
    });

    it("serves the protected-resource metadata at the path-inserted and the root URL, naming this issuer", async () => {
      for (const path of ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"]) {
        const response = await fetch(new URL(path, target.origin()));
        expect(response.status, path).toBe(200);
        const body = (await response.json()) as Record<string, unknown>;
        expect(body).toMatchObject({ resource: `${target.origin()}/mcp`, authorization_servers: [target.origin()] });
        expect(body["scopes_supported"]).toEqual(["notes:read"]);
      }
    });

    it("AS metadata: exact issuer, S256 only, RFC 9207 iss, registration and CIMD, no offline_access", async () => {
      const { as } = await discover(target.origin());
      expect(as.issuer).toBe(target.origin());
      expect(as.code_challenge_methods_supported).toEqual(["S256"]);
      expect(as.authorization_response_iss_parameter_supported).toBe(true);
      expect(as.registration_endpoint).toBe(`${target.origin()}/register`);
      expect(as["client_id_metadata_document_supported"]).toBe(true);
      expect(as.scopes_supported).toEqual(["notes:read", "notes:write"]);
      expect(as.response_types_supported).toEqual(["code"]);
    });
  });

  describe("tokens are bound to PUBLIC_ORIGIN", () => {
    it("a token replayed on another Host (a loopback alias of the same server) → 401", async () => {
      const { tokens } = await signIn(target.origin(), { ...(target.signInAs?.("dave") ?? { login: "dave" }) });
      const response = await postMcp(target.aliasOrigin(), tokens.accessToken);
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({
        error: "invalid_token",
        error_description: `The access token is for ${target.origin()}/mcp; call that URL, not this one.`,
      });
    });

    // Decided (issue 16): no resource_metadata on an alias. RFC 9728 §3.3 has a client refuse
    // metadata whose `resource` is not the URL it called, and the only metadata there is names
    // PUBLIC_ORIGIN; serving a document for the alias would make it a second resource whose
    // tokens this server accepts. The 401 still names the scope; the client must use PUBLIC_ORIGIN.
    it("a 401 on a loopback alias carries no resource_metadata (RFC 9728 §3.3); the same 401 on PUBLIC_ORIGIN does", async () => {
      const alias = await postMcp(target.aliasOrigin());
      expect(alias.status).toBe(401);
      const challenge = bearerChallenge(alias.headers.get("www-authenticate"));
      expect(challenge?.params).toEqual({ scope: "notes:read" });
      const canonical = bearerChallenge((await postMcp(target.origin())).headers.get("www-authenticate"));
      expect(canonical?.params["resource_metadata"]).toBe(
        `${target.origin()}/.well-known/oauth-protected-resource/mcp`,
      );
    });

    it("pages and metadata are not served for another Host (the issuer would follow it)", async () => {
      const response = await fetch(new URL("/.well-known/oauth-authorization-server", target.aliasOrigin()));
      expect(response.status).toBe(403);
      expect(((await response.json()) as { error: { message: string } }).error.message).toContain(target.origin());
    });
  });
}

// What both OAuth apps' authorization servers refuse before anyone signs in or consents:
// registration metadata (attack-cases.md "Registration"), near-miss redirect URIs, PKCE
// downgrades and bad requests at /authorize; and the host pin and CORS in front of the library.
// Run inside workerd by each app's tests.
import { freshAddress } from "@mcp-auth/dev-harness/limits";
import { describe, expect, it } from "vitest";

/** The loopback redirect every workerd test client registers (a native app's, RFC 8252). */
export const TEST_REDIRECT_URI = "http://127.0.0.1:43210/callback";
/** RFC 7636 appendix B: this verifier's S256 challenge is {@link TEST_CHALLENGE}. */
export const TEST_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
export const TEST_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/** A request into the Worker on PUBLIC_ORIGIN (redirects not followed); a `host` header overrides the Host. */
export type WorkerCall = (path: string, init?: RequestInit) => Promise<Response>;

/** What an MCP client does first against either app: register, then send the browser to /authorize. */
export interface TestClient {
  /** Dynamic registration of a public client with {@link TEST_REDIRECT_URI}; `metadata` overrides. Its id. */
  registerClient: (metadata?: Record<string, unknown>) => Promise<string>;
  /** `/authorize?…` with PKCE S256, `state-123`, `notes:read` and the /mcp resource; `extra` overrides (undefined deletes). */
  authorizePath: (clientId: string, extra?: Record<string, string | undefined>) => string;
}

export function testClient(call: WorkerCall, origin: string): TestClient {
  return {
    async registerClient(metadata = {}) {
      const body = JSON.stringify({
        client_name: "workerd test client",
        redirect_uris: [TEST_REDIRECT_URI],
        token_endpoint_auth_method: "none",
        ...metadata,
      });
      const response = await call("/register", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      if (response.status !== 201) throw new Error(`registration failed: ${response.status} ${await response.text()}`);
      return (await response.json<{ client_id: string }>()).client_id;
    },
    authorizePath(clientId, extra = {}) {
      const params = new URLSearchParams({
        response_type: "code",
        client_id: clientId,
        redirect_uri: TEST_REDIRECT_URI,
        code_challenge: TEST_CHALLENGE,
        code_challenge_method: "S256",
        state: "state-123",
        scope: "notes:read",
        resource: `${origin}/mcp`,
      });
      for (const [name, value] of Object.entries(extra)) {
        if (value === undefined) params.delete(name);
        else params.set(name, value);
      }
      return `/authorize?${params.toString()}`;
    },
  };
}

const json = (response: Response) => response.json<Record<string, unknown>>();

/** The cases, run by each OAuth app's workerd tests against its Worker on `origin`. */
export function describeAuthorizationRequests(call: WorkerCall, origin: string): void {
  const { registerClient, authorizePath } = testClient(call, origin);
  const redirectUri = TEST_REDIRECT_URI;

  describe("dynamic registration policy", () => {
    const register = (metadata: Record<string, unknown>, ip = freshAddress()) =>
      call("/register", {
        method: "POST",
        headers: { "content-type": "application/json", "cf-connecting-ip": ip },
        body: JSON.stringify({ client_name: "x", token_endpoint_auth_method: "none", ...metadata }),
      });

    it.each([
      ["javascript:alert(1)", "javascript"],
      ["JaVaScRiPt:alert(1)", "mixed-case javascript"],
      ["data:text/html,hi", "data"],
      ["http://app.example/cb", "remote http"],
      ["https://app.example/cb#frag", "fragment"],
      ["https://user@app.example/cb", "userinfo"],
      ["https://app.example/c\u0001b", "control character"],
    ])("redirect %s (%s) → 400 invalid_client_metadata, nothing stored", async (uri) => {
      const response = await register({ redirect_uris: [redirectUri, uri] });
      expect(response.status).toBe(400);
      const body = await json(response);
      expect(body["error"]).toBe("invalid_client_metadata");
      expect(body["client_id"]).toBeUndefined();
    });

    it("HTML in the client name → 400", async () => {
      const response = await register({ redirect_uris: [redirectUri], client_name: "<img src=x onerror=alert(1)>" });
      expect(response.status).toBe(400);
      expect(await json(response)).toMatchObject({
        error: "invalid_client_metadata",
        error_description: "client_name must be plain text.",
      });
    });

    it("oversized metadata → 413 before anything reads it", async () => {
      const response = await register({
        redirect_uris: [redirectUri],
        client_uri: `https://a.example/${"a".repeat(20_000)}`,
      });
      expect(response.status).toBe(413);
      expect((await json(response))["error"]).toBe("invalid_client_metadata");
    });

    it("registrations are limited per address → 429 with Retry-After", async () => {
      // The limit is 10 per 60 s window; 25 attempts see at least one 429 even when a window
      // boundary falls inside the run (the limiter counts per window, as Cloudflare's does).
      const statuses: number[] = [];
      const retryAfter: (string | null)[] = [];
      for (let i = 0; i < 25; i++) {
        // Outside freshAddress()'s block: no other registration in the run counts against it.
        const response = await register({ redirect_uris: [redirectUri] }, "203.0.113.77");
        statuses.push(response.status);
        if (response.status === 429) retryAfter.push(response.headers.get("retry-after"));
        await response.body?.cancel();
      }
      expect(statuses.slice(0, 10)).toEqual(Array(10).fill(201));
      expect(statuses).toContain(429);
      expect(statuses.filter((status) => status !== 201 && status !== 429)).toEqual([]);
      for (const value of retryAfter) expect(Number(value)).toBeGreaterThan(0);
    });
  });

  describe("/authorize: what renders locally, what redirects", () => {
    it.each([
      ["extra path", `${redirectUri}/x`],
      ["query", `${redirectUri}?a=1`],
      ["trailing slash", `${redirectUri}/`],
      ["case change", redirectUri.replace("callback", "Callback")],
      ["userinfo", redirectUri.replace("http://", "http://user@")],
      ["encoded slash", redirectUri.replace("/callback", "%2Fcallback")],
      ["https instead of http", redirectUri.replace("http:", "https:")],
      ["another host", "http://localhost:43210/callback"],
    ])("a near-miss redirect_uri (%s) renders an error page and never redirects", async (_name, redirectUri) => {
      const clientId = await registerClient();
      const response = await call(authorizePath(clientId, { redirect_uri: redirectUri }), { redirect: "manual" });
      expect(response.status).toBe(400);
      expect(response.headers.get("location")).toBeNull();
      expect(await response.text()).toMatch(/redirect/i);
    });

    it("a loopback redirect that differs only in port is accepted (RFC 8252), as intended", async () => {
      const clientId = await registerClient();
      const response = await call(authorizePath(clientId, { redirect_uri: "http://127.0.0.1:5555/callback" }));
      // The next step of the flow: the consent page, or (an app with its own accounts) the login page.
      if (response.status === 302) {
        expect(response.headers.get("location")).toMatch(/^\/login\?return_to=/);
        return;
      }
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('name="handle"');
    });

    it("an unknown client renders an error page, no redirect", async () => {
      const response = await call(authorizePath("no-such-client"), { redirect: "manual" });
      expect(response.status).toBe(400);
      expect(response.headers.get("location")).toBeNull();
    });

    it.each([
      ["no code_challenge", { code_challenge: undefined, code_challenge_method: undefined }],
      ["plain", { code_challenge_method: "plain" }],
      ["unknown method", { code_challenge_method: "S512" }],
      ["malformed challenge", { code_challenge: "short" }],
      ["response_type=token", { response_type: "token" }],
    ])("PKCE downgrade / bad request (%s) never reaches the consent page", async (_name, extra) => {
      const clientId = await registerClient();
      const response = await call(authorizePath(clientId, extra), { redirect: "manual" });
      expect(response.status === 302 || response.status === 400).toBe(true);
      const body = await response.text();
      expect(body).not.toContain('name="handle"');
      const location = response.headers.get("location");
      if (location !== null) {
        expect(location.startsWith(`${redirectUri}?`)).toBe(true);
        expect(new URL(location).searchParams.get("error")).toMatch(/invalid_request|unsupported_response_type/);
      }
    });

    it("a confidential client without PKCE is refused too (the library would allow it)", async () => {
      const body = JSON.stringify({
        client_name: "confidential",
        redirect_uris: [redirectUri],
        token_endpoint_auth_method: "client_secret_basic",
      });
      const registered = await call("/register", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      const clientId = (await registered.json<{ client_id: string }>()).client_id;
      const response = await call(
        authorizePath(clientId, { code_challenge: undefined, code_challenge_method: undefined }),
        { redirect: "manual" },
      );
      expect(response.status).toBe(302);
      const location = new URL(response.headers.get("location") ?? "");
      expect(location.searchParams.get("error")).toBe("invalid_request");
      expect(location.searchParams.get("error_description")).toMatch(/PKCE/);
      expect(location.searchParams.get("state")).toBe("state-123");
      expect(location.searchParams.get("iss")).toBe(origin);
    });
  });

  describe("hosts and CORS", () => {
    it.each(["evil.example", `127.0.0.1:${new URL(origin).port}`])(
      "AS metadata for Host %s → 403 (the issuer would follow the Host)",
      async (host) => {
        const response = await call("/.well-known/oauth-authorization-server", { headers: { host } });
        expect(response.status).toBe(403);
        expect(JSON.stringify(await json(response))).toContain(origin);
      },
    );

    it("AS metadata names PUBLIC_origin as issuer and is readable cross-origin", async () => {
      const response = await call("/.well-known/oauth-authorization-server", {
        headers: { origin: "https://app.example" },
      });
      expect(response.status).toBe(200);
      expect((await json(response))["issuer"]).toBe(origin);
      expect(response.headers.get("access-control-allow-origin")).toBeTruthy();
    });

    it("/token and /register answer a browser client's preflight from any web origin", async () => {
      for (const path of ["/token", "/register"]) {
        const response = await call(path, {
          method: "OPTIONS",
          headers: { origin: "https://app.example", "access-control-request-method": "POST" },
        });
        expect(response.status, path).toBe(204);
        expect(response.headers.get("access-control-allow-origin"), path).toBe("https://app.example");
        expect(response.headers.get("access-control-allow-credentials"), path).toBeNull();
      }
    });

    it("/mcp keeps the Origin check (DNS rebinding): a foreign Origin → 403 before the provider", async () => {
      const response = await call("/mcp", {
        method: "POST",
        headers: { origin: "https://evil.example", "content-type": "application/json" },
        body: "{}",
      });
      expect(response.status).toBe(403);
      expect(((await json(response))["error"] as { message: string }).message).toMatch(/origin/i);
    });

    it("/mcp with a made-up token → 401 with a challenge naming the metadata", async () => {
      const response = await call("/mcp", {
        method: "POST",
        headers: { authorization: "Bearer not-a-real-token", "content-type": "application/json" },
        body: "{}",
      });
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toContain(
        `resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp"`,
      );
    });
  });
}

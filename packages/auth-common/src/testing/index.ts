// What both OAuth apps' authorization servers refuse before anyone signs in or consents:
// registration metadata (attack-cases.md "Registration"), near-miss redirect URIs, PKCE
// downgrades and bad requests at /authorize; and the host pin and CORS in front of the library.
// Run inside workerd by each app's tests.
import {
  CIMD_CLIENT_ID,
  CIMD_REDIRECTED_CLIENT_IDS,
  CIMD_REDIRECT_URI,
  CIMD_REFUSED_CLIENT_IDS,
} from "@mcp-auth/dev-harness/client-metadata-documents";
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
  /** POST /token exchanging `code` as this client: its redirect URI, {@link TEST_VERIFIER}, the /mcp resource. */
  exchangeCode: (clientId: string, code: string) => Promise<Response>;
  /** POST /token refreshing as `clientId` (a public client: no secret). */
  refresh: (clientId: string, refreshToken: string) => Promise<Response>;
}

/** POST /token with `form` (urlencoded). */
export function tokenRequest(call: WorkerCall, form: Record<string, string>): Promise<Response> {
  return call("/token", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form).toString(),
  });
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
    exchangeCode: (clientId, code) =>
      tokenRequest(call, {
        grant_type: "authorization_code",
        code,
        redirect_uri: TEST_REDIRECT_URI,
        client_id: clientId,
        code_verifier: TEST_VERIFIER,
        resource: `${origin}/mcp`,
      }),
    refresh: (clientId, refreshToken) =>
      tokenRequest(call, { grant_type: "refresh_token", refresh_token: refreshToken, client_id: clientId }),
  };
}

const json = (response: Response) => response.json<Record<string, unknown>>();

/**
 * The cases, run by each OAuth app's workerd tests against its Worker on `origin`; `pagePosts`
 * are the app's own POST routes besides /authorize, /token and /register (each must answer an
 * oversized body with 413).
 */
export function describeAuthorizationRequests(
  call: WorkerCall,
  origin: string,
  pagePosts: readonly string[] = [],
): void {
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
      // The library refuses the first five itself (invalid_client_metadata); our policy the rest.
      ["javascript:alert(1)", "javascript", "invalid_client_metadata"],
      ["JaVaScRiPt:alert(1)", "mixed-case javascript", "invalid_client_metadata"],
      ["data:text/html,hi", "data", "invalid_client_metadata"],
      ["https://app.example/cb#frag", "fragment", "invalid_client_metadata"],
      ["https://user@app.example/cb", "userinfo", "invalid_client_metadata"],
      ["https://app.example/c\u0001b", "control character", "invalid_client_metadata"],
      ["http://app.example/cb", "remote http", "invalid_redirect_uri"],
    ])("redirect %s (%s) → 400 %s, nothing stored", async (uri, _name, code) => {
      const response = await register({ redirect_uris: [redirectUri, uri] });
      expect(response.status).toBe(400);
      const body = await json(response);
      expect(body["error"]).toBe(code);
      expect(body["client_id"]).toBeUndefined();
    });

    it.each([
      ["https://client.example/c b", "a space"],
      ['https://client.example/c"b', "a quote"],
      ["https://client.example/c%zzb", "a broken percent-encoding"],
      ["https://client.example/caf\u00e9", "a non-ASCII character"],
    ])("redirect %s (%s: not an RFC 3986 URI) → 400 invalid_redirect_uri", async (uri) => {
      const response = await register({ redirect_uris: [redirectUri, uri] });
      expect(response.status).toBe(400);
      expect(await json(response)).toEqual({
        error: "invalid_redirect_uri",
        error_description:
          "Every redirect URI must be an RFC 3986 URI: https, or http on localhost, 127.0.0.1 or [::1], without a fragment.",
      });
    });

    it.each([
      ["U+202E right-to-left override", "Notes \u202Eexe.fdp"],
      ["U+202A left-to-right embedding", "a\u202Ab"],
      ["U+2066 left-to-right isolate", "a\u2066b"],
      ["U+2069 pop directional isolate", "a\u2069b"],
      ["U+061C Arabic letter mark", "a\u061Cb"],
      ["U+200B zero-width space", "a\u200Bb"],
      ["U+200F right-to-left mark", "a\u200Fb"],
      ["U+0007 bell", "a\u0007b"],
      ["U+0085 next line", "a\u0085b"],
    ])("a client_name with %s → 400 invalid_client_metadata", async (_name, clientName) => {
      const response = await register({ redirect_uris: [redirectUri], client_name: clientName });
      expect(response.status).toBe(400);
      expect(await json(response)).toEqual({
        error: "invalid_client_metadata",
        error_description: "client_name must be plain text.",
      });
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
      expect(await json(response)).toEqual({
        error: "invalid_request",
        error_description: "The request body is limited to 16384 bytes.",
      });
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

    it.each(["PUT", "DELETE", "PATCH"])("%s /authorize → the 405 page, nothing consumed", async (method) => {
      const clientId = await registerClient();
      const response = await call(authorizePath(clientId), { method, redirect: "manual" });
      expect(response.status).toBe(405);
      expect(response.headers.get("location")).toBeNull();
      expect(response.headers.get("content-type")).toMatch(/^text\/html/);
      const body = await response.text();
      expect(body).toContain("Method not allowed");
      expect(body).toContain("This address takes a browser&#39;s GET (or the consent form&#39;s POST).");
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

  describe("Client ID Metadata Documents: served at the client id itself, and checked", () => {
    const refusedPage = async (response: Response, message: RegExp) => {
      expect(response.status).toBe(400);
      expect(response.headers.get("location")).toBeNull();
      const body = await response.text();
      expect(body).toMatch(message);
      expect(body).not.toContain('name="handle"');
    };

    it("a document served directly is accepted (control)", async () => {
      const response = await call(authorizePath(CIMD_CLIENT_ID, { redirect_uri: CIMD_REDIRECT_URI }));
      if (response.status === 302) {
        expect(response.headers.get("location")).toMatch(/^\/login\?return_to=/);
        return;
      }
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('name="handle"');
    });

    it.each(Object.entries(CIMD_REDIRECTED_CLIENT_IDS))(
      "a document served through a %s redirect → 400 page at /authorize, never the consent page",
      async (_kind, clientId) => {
        const response = await call(authorizePath(clientId, { redirect_uri: CIMD_REDIRECT_URI }), {
          redirect: "manual",
        });
        await refusedPage(response, /served through a redirect; it must be served at its client_id URL itself/);
      },
    );

    it.each(Object.entries(CIMD_REDIRECTED_CLIENT_IDS))(
      "a document served through a %s redirect → 401 invalid_client at /token",
      async (_kind, clientId) => {
        const response = await call("/token", {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({
            grant_type: "authorization_code",
            code: "a:b:c",
            client_id: clientId,
            redirect_uri: CIMD_REDIRECT_URI,
            code_verifier: TEST_VERIFIER,
          }).toString(),
        });
        expect(response.status).toBe(401);
        expect(await json(response)).toEqual({
          error: "invalid_client",
          error_description:
            "Its client metadata document is served through a redirect; it must be served at its client_id URL itself.",
        });
      },
    );

    it.each([
      [CIMD_REFUSED_CLIENT_IDS["a redirect URI with a space"], /Every redirect URI must be an RFC 3986 URI/],
      [CIMD_REFUSED_CLIENT_IDS["a right-to-left override in client_name"], /client_name must be plain text/],
    ])("a document the registration policy refuses (%s) → 400 page", async (clientId, message) => {
      const response = await call(authorizePath(clientId, { redirect_uri: CIMD_REDIRECT_URI }), { redirect: "manual" });
      await refusedPage(response, message);
    });
  });

  describe("request bodies are read bounded on every POST route", () => {
    const routes = ["/authorize", "/token", "/register", ...pagePosts];
    const contentType = (path: string) =>
      path === "/register" || path.includes("passkey") ? "application/json" : "application/x-www-form-urlencoded";
    /** 16 MiB in 64 KiB chunks, counting what was pulled: a bounded reader stops far short. */
    const hugeBody = () => {
      const chunk = new Uint8Array(64 * 1024).fill(0x61);
      const counter = { pulled: 0 };
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (counter.pulled >= 16 * 1024 * 1024) {
            controller.close();
            return;
          }
          counter.pulled += chunk.byteLength;
          controller.enqueue(chunk);
        },
      });
      return { stream, counter };
    };
    const post = (path: string, body: BodyInit, headers: Record<string, string> = {}) =>
      call(path, {
        method: "POST",
        headers: { "content-type": contentType(path), origin, "sec-fetch-site": "same-origin", ...headers },
        body,
        ...({ duplex: "half" } as RequestInit),
      });

    it.each(routes)("%s: a chunked body without Content-Length → 413, read no further than the limit", async (path) => {
      const { stream, counter } = hugeBody();
      const response = await post(path, stream);
      expect(response.status).toBe(413);
      expect(await response.text()).toMatch(/limited to \d+ bytes/);
      expect(counter.pulled).toBeLessThan(1024 * 1024);
    });

    it.each(routes)("%s: a Content-Length that understates the body → 413", async (path) => {
      const response = await post(path, "a".repeat(256 * 1024), { "content-length": "10" });
      expect(response.status).toBe(413);
      expect(await response.text()).toMatch(/limited to \d+ bytes/);
    });

    it.each(routes)("%s: a declared Content-Length over the limit → 413 before reading", async (path) => {
      const { stream, counter } = hugeBody();
      const response = await post(path, stream, { "content-length": String(200 * 1024 * 1024) });
      expect(response.status).toBe(413);
      expect(counter.pulled).toBeLessThan(1024 * 1024);
    });

    it("/token and /register answer 413 as OAuth JSON errors", async () => {
      for (const path of ["/token", "/register"]) {
        const response = await post(path, "a".repeat(64 * 1024));
        expect(response.status, path).toBe(413);
        const body = await json(response);
        expect(body["error"], path).toBe("invalid_request");
        expect(body["error_description"], path).toMatch(/^The request body is limited to \d+ bytes\.$/);
      }
    });

    it("a small chunked registration (no Content-Length) is accepted", async () => {
      const body = new TextEncoder().encode(
        JSON.stringify({ client_name: "chunked", redirect_uris: [redirectUri], token_endpoint_auth_method: "none" }),
      );
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(body);
          controller.close();
        },
      });
      const response = await post("/register", stream);
      expect(response.status).toBe(201);
    });
  });

  describe("identifiers longer than a storage key → the RFC error, never a 500", () => {
    const long = "a".repeat(600);
    const tokenForm = (fields: Record<string, string>) =>
      call("/token", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(fields).toString(),
      });

    it("/authorize with a 600-character client_id → 400 page, no redirect", async () => {
      const response = await call(authorizePath(long), { redirect: "manual" });
      expect(response.status).toBe(400);
      expect(response.headers.get("location")).toBeNull();
      expect(await response.text()).toContain("The client_id is longer than 256 characters");
    });

    it("/token with a 600-character client_id in the form → 401 invalid_client", async () => {
      const response = await tokenForm({ grant_type: "authorization_code", code: "a:b:c", client_id: long });
      expect(response.status).toBe(401);
      expect(await json(response)).toEqual({
        error: "invalid_client",
        error_description: "client_id is longer than 256 characters; no client has such an id.",
      });
    });

    it("/token with a 600-character client_id in Basic credentials → 401 invalid_client", async () => {
      const response = await call("/token", {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          authorization: `Basic ${btoa(`${long}:secret`)}`,
        },
        body: "grant_type=authorization_code&code=a%3Ab%3Ac",
      });
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toMatch(/^Basic/);
      expect((await json(response))["error"]).toBe("invalid_client");
    });

    it("/token with a client assertion whose iss is 600 characters → 401 invalid_client", async () => {
      const part = (value: object) => btoa(JSON.stringify(value)).replaceAll("=", "");
      const response = await tokenForm({
        grant_type: "authorization_code",
        code: "a:b:c",
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: `${part({ alg: "ES256" })}.${part({ iss: long, sub: long })}.sig`,
      });
      expect(response.status).toBe(401);
      expect(await json(response)).toEqual({
        error: "invalid_client",
        error_description: "client_id is longer than 256 characters; no client has such an id.",
      });
    });

    it.each(["code", "refresh_token"])(
      "/token with a %s whose first part is 600 characters → 400 invalid_grant",
      async (name) => {
        const clientId = await registerClient();
        const response = await tokenForm({
          grant_type: name === "code" ? "authorization_code" : "refresh_token",
          [name]: `${long}:grant:secret`,
          client_id: clientId,
        });
        expect(response.status).toBe(400);
        expect(await json(response)).toEqual({
          error: "invalid_grant",
          error_description: `${name} is longer than any this server issues.`,
        });
      },
    );

    it("revoking a token whose first part is 600 characters → 200, as any unknown token", async () => {
      const clientId = await registerClient();
      const response = await tokenForm({ token: `${long}:grant:secret`, client_id: clientId });
      expect(response.status).toBe(200);
    });

    it("/mcp with a bearer token whose first part is 600 characters → 401 invalid_token", async () => {
      const response = await call("/mcp", {
        method: "POST",
        headers: { authorization: `Bearer ${long}:grant:secret`, "content-type": "application/json" },
        body: "{}",
      });
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toContain('error="invalid_token"');
      expect(await json(response)).toMatchObject({
        error: "invalid_token",
        error_description: "The access token is longer than any this server issues.",
      });
    });
  });

  describe("repeated parameters (RFC 6749 §3.1)", () => {
    it.each(["client_id", "redirect_uri"])(
      "/authorize with %s twice → 400 page naming it, no redirect",
      async (name) => {
        const clientId = await registerClient();
        const path = `${authorizePath(clientId)}&${name}=${encodeURIComponent(name === "client_id" ? "other" : redirectUri)}`;
        const response = await call(path, { redirect: "manual" });
        expect(response.status).toBe(400);
        expect(response.headers.get("location")).toBeNull();
        expect(await response.text()).toContain(`The request names ${name} more than once`);
      },
    );

    it.each(["scope", "state", "code_challenge", "response_type"])(
      "/authorize with %s twice → error redirect naming it",
      async (name) => {
        const clientId = await registerClient();
        const response = await call(`${authorizePath(clientId)}&${name}=again`, { redirect: "manual" });
        expect(response.status).toBe(302);
        const location = new URL(response.headers.get("location") ?? "");
        expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
        expect(location.searchParams.get("error")).toBe("invalid_request");
        expect(location.searchParams.get("error_description")).toBe(`The ${name} parameter must not be repeated`);
      },
    );

    it("/authorize with resource twice is not refused for repeating it (RFC 8707 allows it)", async () => {
      const clientId = await registerClient();
      const response = await call(`${authorizePath(clientId)}&resource=${encodeURIComponent(`${origin}/mcp`)}`, {
        redirect: "manual",
      });
      const location = response.headers.get("location") ?? "";
      expect(location).not.toContain("must+not+be+repeated");
    });

    it("/token with grant_type twice → 400 invalid_request naming it (the library's check)", async () => {
      const clientId = await registerClient();
      const response = await call("/token", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: `grant_type=authorization_code&grant_type=refresh_token&code=a%3Ab%3Ac&client_id=${clientId}`,
      });
      expect(response.status).toBe(400);
      expect(await json(response)).toEqual({
        error: "invalid_request",
        error_description: 'Request parameter "grant_type" must not be repeated',
      });
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

export { describeRefreshReuse, type IssuedGrant, type RefreshReuseTarget } from "./refresh-reuse.ts";
export { GRANT_ENDED_DESCRIPTION, IN_PROGRESS_DESCRIPTION, REUSE_DESCRIPTION } from "./refresh-messages.ts";

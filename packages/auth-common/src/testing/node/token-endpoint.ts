import * as oauth from "oauth4webapi";
import { beforeAll, describe, expect, it } from "vitest";
import {
  authorize,
  insecure,
  postMcp,
  registerFrom,
  tokenRequest,
  type AuthorizeOptions,
  type Peer,
} from "@mcp-auth/dev-harness";
import { GRANT_ENDED_DESCRIPTION, REUSE_DESCRIPTION } from "../refresh-messages.ts";

// attack-cases.md, "Authorization server" (/token, refresh, registration) against the running
// app: each refusal is asserted by status, OAuth error code and description, `Cache-Control:
// no-store`, an answer without tokens, and — where a refusal could have changed state — by
// whether the tokens issued before still work at /mcp (200) or not (401).
// Behaviour asserted here is the library's (workers-oauth-provider 1.2.3) as observed and as its
// docs describe it; where that differs from what one might expect, the comment says so.
//
// Every flow signs in a user of its own: completing an authorization revokes the same user's
// earlier grants for the same client, which would otherwise end one test's grant in another.
// Shared by both OAuth apps: only how the browser signs a `login` in differs.

/** The app under test, and how its sign-in page is answered for a given login. */
export interface AuthorizationServerTarget {
  /** PUBLIC_ORIGIN of the running app. */
  origin: () => string;
  /** The same server on a loopback alias its tokens are not for. */
  aliasOrigin: () => string;
  /** The browser options that sign `login` in (default: dev-idp's any-password login). */
  signInAs?: (login: string) => Omit<AuthorizeOptions, "authorizationUrl" | "redirectUri" | "consent">;
}

/** The logins {@link describeTokenEndpoint} signs in, one each (an app with real accounts creates them). */
export const TOKEN_ENDPOINT_LOGINS = [
  "te-code-replay",
  "te-cross-code",
  "te-wrong-verifier",
  "te-missing-verifier",
  "te-redirect",
  "te-widen",
  "te-resource",
  "te-confidential",
  "te-rotation",
  "te-reuse",
  "te-refresh-scope",
  "te-cross-refresh",
  "te-cross-revoke",
] as const;

/** attack-cases.md's "Authorization server" cases for /token, refresh and /register. */
export function describeTokenEndpoint(target: AuthorizationServerTarget): void {
  const origin = target.origin;

  let addresses = 0;
  /** A client address of this file's own for each registration (they are limited per address). */
  const nextAddress = () => `10.72.0.${++addresses}`;

  const OTHER_REDIRECT = "http://127.0.0.1:33418/other-callback";

  /** Two public clients, as MCP clients register; A also lists a second redirect URI. */
  let clientA: Peer;
  let clientB: Peer;
  beforeAll(async () => {
    clientA = await registerFrom(origin(), nextAddress(), {
      client_name: "token endpoint A",
      redirect_uris: ["http://127.0.0.1:33418/callback", OTHER_REDIRECT],
    });
    clientB = await registerFrom(origin(), nextAddress(), { client_name: "token endpoint B" });
  });

  interface Code {
    code: string;
    codeVerifier: string;
  }

  /** A fresh authorization code for `login`, approved on our consent page for exactly `scope`. */
  async function codeFor(peer: Peer, login: string, scope = "notes:read"): Promise<Code> {
    const flow = await authorize(
      peer,
      { scope },
      { ...(target.signInAs?.(login) ?? { login }), consent: { decision: "approve", scopes: scope.split(" ") } },
    );
    const params = oauth.validateAuthResponse(peer.as, peer.client, flow.callback, flow.state);
    return { code: params.get("code") ?? "", codeVerifier: flow.codeVerifier };
  }

  /** The code grant a correct client sends; `changes` replace fields, `undefined` drops one. */
  function codeGrant(peer: Peer, code: Code, changes: Record<string, string | undefined> = {}): Record<string, string> {
    const body: Record<string, string | undefined> = {
      grant_type: "authorization_code",
      code: code.code,
      redirect_uri: peer.redirectUri,
      code_verifier: code.codeVerifier,
      client_id: peer.client.client_id,
      resource: peer.resource,
      ...changes,
    };
    return Object.fromEntries(
      Object.entries(body).filter((entry): entry is [string, string] => entry[1] !== undefined),
    );
  }

  function refreshGrant(
    peer: Peer,
    refreshToken: string,
    changes: Record<string, string> = {},
  ): Record<string, string> {
    return { grant_type: "refresh_token", refresh_token: refreshToken, client_id: peer.client.client_id, ...changes };
  }

  type TokenAnswer = Awaited<ReturnType<typeof tokenRequest>>;

  interface Issued {
    accessToken: string;
    refreshToken: string;
    scope: string;
  }

  /** A token response: 200, no-store, an access and a refresh token. */
  function expectIssued(answer: TokenAnswer): Issued {
    expect(answer.status).toBe(200);
    expect(answer.headers.get("cache-control")).toBe("no-store");
    const { access_token: accessToken, refresh_token: refreshToken, scope } = answer.body;
    expect(typeof accessToken).toBe("string");
    expect(typeof refreshToken).toBe("string");
    return { accessToken: String(accessToken), refreshToken: String(refreshToken), scope: String(scope) };
  }

  /** A refusal: the status, the OAuth error and its description, no-store, and no token of any kind. */
  function expectRefused(answer: TokenAnswer, status: number, error: string, description: string): void {
    expect(answer.status).toBe(status);
    expect(answer.body).toEqual({ error, error_description: description });
    expect(answer.headers.get("cache-control")).toBe("no-store");
  }

  /** The status /mcp answers a JSON-RPC call with this access token. */
  async function mcpStatus(
    accessToken: string,
    message: object = { jsonrpc: "2.0", id: 1, method: "tools/list" },
  ): Promise<number> {
    const response = await postMcp(origin(), accessToken, message);
    await response.body?.cancel();
    return response.status;
  }

  const ADD_NOTE = {
    jsonrpc: "2.0",
    id: 2,
    method: "tools/call",
    params: { name: "notes_add", arguments: { text: "should not be written" } },
  };

  /** An RFC 7009 revocation request as `peer`; the answer's status and body. */
  async function revocation(peer: Peer, token: string): Promise<{ status: number; body: string }> {
    const response = await fetch(peer.as.revocation_endpoint ?? "", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token, client_id: peer.client.client_id }),
    });
    return { status: response.status, body: await response.text() };
  }

  /** RFC 6749 §2.3.1: Basic credentials are the form-encoded id and secret. */
  function basic(clientId: string, secret: string): string {
    return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString("base64")}`;
  }

  describe("/token: authorization codes", () => {
    it("a code used twice → invalid_grant, and the grant of the first exchange is revoked with its tokens", async () => {
      const code = await codeFor(clientA, "te-code-replay");
      const first = expectIssued(await tokenRequest(clientA, codeGrant(clientA, code)));
      expect(await mcpStatus(first.accessToken)).toBe(200);

      expectRefused(
        await tokenRequest(clientA, codeGrant(clientA, code)),
        400,
        "invalid_grant",
        "Authorization code already used",
      );
      // RFC 6749 §4.1.2: the library revokes the grant a replayed code belongs to, so whoever
      // redeemed it first — the client or a thief — loses the access and refresh token too.
      expect(await mcpStatus(first.accessToken)).toBe(401);
      expectRefused(
        await tokenRequest(clientA, refreshGrant(clientA, first.refreshToken)),
        400,
        "invalid_grant",
        GRANT_ENDED_DESCRIPTION,
      );
    });

    it("another client's code → invalid_grant, nothing issued; the code stays redeemable by its own client", async () => {
      const code = await codeFor(clientA, "te-cross-code");
      expectRefused(await tokenRequest(clientB, codeGrant(clientB, code)), 400, "invalid_grant", "Client ID mismatch");
      // The client is checked before the code is marked used: another client can neither redeem
      // the code nor burn it (nor revoke the grant, as a replay would).
      const tokens = expectIssued(await tokenRequest(clientA, codeGrant(clientA, code)));
      expect(await mcpStatus(tokens.accessToken)).toBe(200);
    });

    it("a wrong code_verifier → invalid_grant, nothing issued; the code is not consumed", async () => {
      const code = await codeFor(clientA, "te-wrong-verifier");
      expectRefused(
        await tokenRequest(clientA, codeGrant(clientA, code, { code_verifier: oauth.generateRandomCodeVerifier() })),
        400,
        "invalid_grant",
        "Invalid PKCE code_verifier",
      );
      // The library does not consume a code on a PKCE failure: guessing a 256-bit verifier is the
      // only way on, and the right one still redeems it.
      expectIssued(await tokenRequest(clientA, codeGrant(clientA, code)));
    });

    it("no code_verifier for a code issued with a challenge → invalid_request, nothing issued", async () => {
      const code = await codeFor(clientA, "te-missing-verifier");
      expectRefused(
        await tokenRequest(clientA, codeGrant(clientA, code, { code_verifier: undefined })),
        400,
        "invalid_request",
        "code_verifier is required for PKCE",
      );
      expectIssued(await tokenRequest(clientA, codeGrant(clientA, code)));
    });

    it("a redirect_uri other than the authorization request's → invalid_grant, nothing issued", async () => {
      const code = await codeFor(clientA, "te-redirect");
      for (const [redirectUri, description] of [
        // Registered for this client, but not the one the code was issued to.
        [OTHER_REDIRECT, "redirect_uri does not match the authorization request"],
        // The same loopback URI on another port: fine at /authorize (RFC 8252), not a match here.
        ["http://127.0.0.1:40000/callback", "redirect_uri does not match the authorization request"],
        ["https://evil.example/callback", "Invalid redirect URI"],
        ["http://127.0.0.1:33418/callback/", "Invalid redirect URI"],
      ] as const) {
        expectRefused(
          await tokenRequest(clientA, codeGrant(clientA, code, { redirect_uri: redirectUri })),
          400,
          "invalid_grant",
          description,
        );
      }
      expectIssued(await tokenRequest(clientA, codeGrant(clientA, code)));
    });

    // Not tested: an expired code. Codes live 10 minutes (the library's KV TTL) and the app under
    // wrangler dev has no clock to move; see the README's limits.

    it("a wider scope on the token request never widens the token", async () => {
      const code = await codeFor(clientA, "te-widen", "notes:read");
      expectRefused(
        await tokenRequest(clientA, codeGrant(clientA, code, { scope: "notes:write" })),
        400,
        "invalid_scope",
        "None of the requested scopes were granted",
      );
      // Asking for the granted scope and more narrows to the grant (RFC 6749 §3.3), and the
      // refusal above did not consume the code.
      const tokens = expectIssued(
        await tokenRequest(clientA, codeGrant(clientA, code, { scope: "notes:read notes:write" })),
      );
      expect(tokens.scope).toBe("notes:read");
      expect(await mcpStatus(tokens.accessToken)).toBe(200);
      expect(await mcpStatus(tokens.accessToken, ADD_NOTE)).toBe(403);
    });

    it("a resource of another audience → invalid_target before the code is consumed", async () => {
      const code = await codeFor(clientA, "te-resource");
      for (const resource of ["http://localhost:1/mcp", `${target.aliasOrigin()}/mcp`, `${origin()}/mcp-other`]) {
        expectRefused(
          await tokenRequest(clientA, codeGrant(clientA, code, { resource })),
          400,
          "invalid_target",
          "The resource parameter must name exactly one configured protected resource",
        );
      }
      const tokens = expectIssued(await tokenRequest(clientA, codeGrant(clientA, code)));
      expect(await mcpStatus(tokens.accessToken)).toBe(200);
    });

    it("grant_type=password → unsupported_grant_type, nothing issued", async () => {
      expectRefused(
        await tokenRequest(clientA, {
          grant_type: "password",
          username: "alice",
          password: "dev-only-password",
          client_id: clientA.client.client_id,
        }),
        400,
        "unsupported_grant_type",
        "Grant type not supported",
      );
    });

    it("a confidential client with a wrong or no secret → 401 invalid_client, not 500; the code survives", async () => {
      const confidential = await registerFrom(origin(), nextAddress(), {
        client_name: "token endpoint confidential",
        token_endpoint_auth_method: "client_secret_basic",
      });
      const secret = confidential.client.client_secret;
      if (typeof secret !== "string") throw new Error("registration returned no client_secret");
      const id = confidential.client.client_id;
      const code = await codeFor(confidential, "te-confidential");
      const grant = codeGrant(confidential, code, { client_id: undefined });

      const wrong = await tokenRequest(confidential, grant, { authorization: basic(id, `${secret}x`) });
      expectRefused(wrong, 401, "invalid_client", "Client authentication failed: invalid client_secret");
      expect(wrong.headers.get("www-authenticate")).toBe('Basic realm="OAuth"');

      // No secret at all: a public client's request for a client registered with a secret.
      expectRefused(
        await tokenRequest(confidential, { ...grant, client_id: id }),
        401,
        "invalid_client",
        "Client authentication failed",
      );

      const tokens = expectIssued(await tokenRequest(confidential, grant, { authorization: basic(id, secret) }));
      expect(await mcpStatus(tokens.accessToken)).toBe(200);
    });
  });

  describe("/token: refresh", () => {
    it("rotates; the previous refresh token keeps working until its replacement is first used, then its reuse ends the grant", async () => {
      const code = await codeFor(clientA, "te-rotation");
      const t0 = expectIssued(await tokenRequest(clientA, codeGrant(clientA, code)));
      const t1 = expectIssued(await tokenRequest(clientA, refreshGrant(clientA, t0.refreshToken)));
      expect(t1.refreshToken).not.toBe(t0.refreshToken);
      expect(t1.accessToken).not.toBe(t0.accessToken);

      // The library's grace rule (docs/authorization-server.md, "PKCE and token lifecycle"), kept
      // by our reuse check: "The immediately previous token remains valid until its replacement
      // is first used". A client that lost an answer retries with the token it still has — not
      // once, but until it uses what it gets back. Each retry answers a new pair and retires the
      // pair it replaces.
      const t2 = expectIssued(await tokenRequest(clientA, refreshGrant(clientA, t0.refreshToken)));
      const t3 = expectIssued(await tokenRequest(clientA, refreshGrant(clientA, t0.refreshToken)));
      expect(new Set([t0, t1, t2, t3].map((tokens) => tokens.refreshToken)).size).toBe(4);
      for (const superseded of [t1, t2]) {
        expectRefused(
          await tokenRequest(clientA, refreshGrant(clientA, superseded.refreshToken)),
          400,
          "invalid_grant",
          "Invalid refresh token",
        );
      }

      // t1 and t2 were never used, so presenting them is no reuse: nothing was revoked. Rotation
      // retires refresh tokens only: access tokens issued earlier live out their own lifetime.
      const t4 = expectIssued(await tokenRequest(clientA, refreshGrant(clientA, t3.refreshToken)));
      expect(await mcpStatus(t4.accessToken)).toBe(200);
      expect(await mcpStatus(t0.accessToken)).toBe(200);

      // The replacement was used: t0, used and superseded by a used successor, is a reuse now
      // (RFC 9700 §4.14.2): the grant ends with every access and refresh token of it.
      expectRefused(
        await tokenRequest(clientA, refreshGrant(clientA, t0.refreshToken)),
        400,
        "invalid_grant",
        REUSE_DESCRIPTION,
      );
      for (const tokens of [t0, t4]) expect(await mcpStatus(tokens.accessToken)).toBe(401);
      expectRefused(
        await tokenRequest(clientA, refreshGrant(clientA, t4.refreshToken)),
        400,
        "invalid_grant",
        GRANT_ENDED_DESCRIPTION,
      );
    });

    it("oauth4webapi: a refresh token used again after its successor was used → invalid_grant (OAuth error), the grant revoked", async () => {
      const code = await codeFor(clientA, "te-reuse");
      const t0 = expectIssued(await tokenRequest(clientA, codeGrant(clientA, code)));
      /** A refresh as oauth4webapi sends and reads it: the tokens, or its ResponseBodyError. */
      const refreshWith = async (refreshToken: string) => {
        const response = await oauth.refreshTokenGrantRequest(
          clientA.as,
          clientA.client,
          oauth.None(),
          refreshToken,
          insecure,
        );
        return oauth.processRefreshTokenResponse(clientA.as, clientA.client, response);
      };
      const t1 = await refreshWith(t0.refreshToken);
      const t2 = await refreshWith(t1.refresh_token ?? "");
      expect(await mcpStatus(t2.access_token)).toBe(200);

      const reused = await refreshWith(t0.refreshToken).catch((error: unknown) => error);
      expect(reused).toBeInstanceOf(oauth.ResponseBodyError);
      expect(reused).toMatchObject({
        status: 400,
        error: "invalid_grant",
        error_description: REUSE_DESCRIPTION,
      });
      for (const accessToken of [t0.accessToken, t1.access_token, t2.access_token]) {
        expect(await mcpStatus(accessToken)).toBe(401);
      }
      await expect(refreshWith(t2.refresh_token ?? "")).rejects.toMatchObject({
        error: "invalid_grant",
        error_description: GRANT_ENDED_DESCRIPTION,
      });
    });

    it("scope never grows on refresh", async () => {
      const code = await codeFor(clientA, "te-refresh-scope", "notes:read");
      const tokens = expectIssued(await tokenRequest(clientA, codeGrant(clientA, code)));
      expect(tokens.scope).toBe("notes:read");

      const asked = expectIssued(
        await tokenRequest(clientA, refreshGrant(clientA, tokens.refreshToken, { scope: "notes:read notes:write" })),
      );
      expect(asked.scope).toBe("notes:read");
      expect(await mcpStatus(asked.accessToken, ADD_NOTE)).toBe(403);

      expectRefused(
        await tokenRequest(clientA, refreshGrant(clientA, asked.refreshToken, { scope: "notes:write" })),
        400,
        "invalid_scope",
        "None of the requested scopes were granted",
      );
      // The refusal rotated nothing: the same refresh token still works.
      expect(expectIssued(await tokenRequest(clientA, refreshGrant(clientA, asked.refreshToken))).scope).toBe(
        "notes:read",
      );
    });

    it("another client cannot refresh this client's token (invalid_grant), and the token still works for its own", async () => {
      const code = await codeFor(clientA, "te-cross-refresh");
      const tokens = expectIssued(await tokenRequest(clientA, codeGrant(clientA, code)));
      expectRefused(
        await tokenRequest(clientB, refreshGrant(clientB, tokens.refreshToken)),
        400,
        "invalid_grant",
        "Client ID mismatch",
      );
      // Checked before rotation: the attempt neither rotated nor revoked A's token.
      const renewed = expectIssued(await tokenRequest(clientA, refreshGrant(clientA, tokens.refreshToken)));
      expect(await mcpStatus(renewed.accessToken)).toBe(200);
    });

    it("another client's revocation of this client's tokens has no effect; the owner's does", async () => {
      const code = await codeFor(clientA, "te-cross-revoke");
      const tokens = expectIssued(await tokenRequest(clientA, codeGrant(clientA, code)));

      // RFC 7009 §2.2: the library answers 200 as for a token it does not know, which also tells B
      // nothing about whether the token exists.
      for (const token of [tokens.accessToken, tokens.refreshToken]) {
        expect(await revocation(clientB, token)).toEqual({ status: 200, body: "" });
      }
      expect(await mcpStatus(tokens.accessToken)).toBe(200);
      const renewed = expectIssued(await tokenRequest(clientA, refreshGrant(clientA, tokens.refreshToken)));

      // Control: the same request from the owner revokes the grant with its access tokens.
      expect(await revocation(clientA, renewed.refreshToken)).toEqual({ status: 200, body: "" });
      expect(await mcpStatus(renewed.accessToken)).toBe(401);
      expect(await mcpStatus(tokens.accessToken)).toBe(401);
    });
  });

  /** A registration request from an address of this file's own. */
  async function registration(
    metadata: object,
  ): Promise<{ status: number; body: unknown; cacheControl: string | null }> {
    const response = await fetch(new URL("/register", origin()), {
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": nextAddress() },
      body: JSON.stringify(metadata),
    });
    return {
      status: response.status,
      body: await response.json(),
      cacheControl: response.headers.get("cache-control"),
    };
  }

  describe("/register", () => {
    it.each([
      "javascript:alert(1)",
      "JavaScript:alert(document.domain)",
      "java\tscript:alert(1)",
      "data:text/html,<script>alert(1)</script>",
    ])("a redirect URI %j → 400 invalid_client_metadata", async (redirectUri) => {
      const answer = await registration({
        client_name: "unsafe redirect",
        redirect_uris: [redirectUri],
        token_endpoint_auth_method: "none",
      });
      expect(answer.status).toBe(400);
      // The library's own scheme check answers before our policy runs; nothing is registered.
      expect(answer.body).toEqual({ error: "invalid_client_metadata", error_description: "Invalid redirect URI" });
      expect(answer.cacheControl).toBe("no-store");
    });

    // Refused by the authorization server's front door (auth-common's front-door.ts), which reads
    // every body bounded before the library; the workerd suite (describeAuthorizationRequests) shows
    // chunked and understated bodies stop at the limit.
    it("a body over 1 MiB, sent whole with its real Content-Length → 413", async () => {
      const metadata = JSON.stringify({
        client_name: "x".repeat(1024 * 1024),
        redirect_uris: ["http://127.0.0.1:33418/callback"],
        token_endpoint_auth_method: "none",
      });
      const response = await fetch(new URL("/register", origin()), {
        method: "POST",
        headers: { "content-type": "application/json", "cf-connecting-ip": nextAddress() },
        body: metadata,
      });
      expect(response.status).toBe(413);
      expect(response.headers.get("cache-control")).toBe("no-store");
      expect(await response.json()).toEqual({
        error: "invalid_request",
        error_description: "The request body is limited to 16384 bytes.",
      });
    });
  });
}

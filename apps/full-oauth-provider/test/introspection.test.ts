// RFC 7662 at /introspect for registered resource servers, and tokens for a second resource
// (RFC 8707): the pieces token-validation's AUTH_METHODS=introspection composes with.
import { clientSecretBasic } from "@mcp-auth/auth-common/verifiers";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { recordRevokedGrants, setDisabled } from "../src/users.ts";
import { addResourceServer, authenticateResourceServer, removeResourceServer } from "../src/resource-servers.ts";
import {
  Browser,
  ORIGIN,
  REDIRECT_URI,
  VERIFIER,
  authorizePath,
  call,
  connected,
  hiddenValue,
  mcp,
  registerClient,
  testUser,
  token,
  type Tokens,
} from "./helpers.ts";

const SECOND = "http://localhost:8788/mcp";
const OWN = `${ORIGIN}/mcp`;

/** A registered resource server for `resources`, and how it authenticates. */
async function resourceServer(resources: string[] = [SECOND]) {
  const { server, secret } = await addResourceServer(env.DB, { name: "test resource server", resources });
  return { ...server, secret, basic: clientSecretBasic(server.id, secret) };
}

function introspect(
  basic: string | undefined,
  form: Record<string, string> | string,
  init: RequestInit = {},
  address?: string,
) {
  const headers = new Headers({ "content-type": "application/x-www-form-urlencoded" });
  if (basic !== undefined) headers.set("authorization", basic);
  return call(
    "/introspect",
    {
      method: "POST",
      headers,
      body: typeof form === "string" ? form : new URLSearchParams(form).toString(),
      ...init,
    },
    address,
  );
}

/** A signed-in user's tokens for the second resource, approved for `scope`. */
async function tokensForSecond(scope: string[] = ["notes:read"]) {
  const user = await testUser();
  const browser = new Browser();
  await browser.signIn(user.email);
  const clientId = await registerClient({ client_name: "Second resource client" });
  const page = await browser.fetch(authorizePath(clientId, { resource: SECOND, scope: scope.join(" ") }));
  const html = await page.text();
  expect(page.status, html).toBe(200);
  const approved = await browser.post("/authorize", {
    handle: hiddenValue(html, "handle") ?? "",
    csrf: hiddenValue(html, "csrf") ?? "",
    decision: "approve",
    scope,
  });
  const code = new URL(approved.headers.get("location") ?? "").searchParams.get("code") ?? "";
  const answer = await token({
    grant_type: "authorization_code",
    code,
    redirect_uri: REDIRECT_URI,
    client_id: clientId,
    code_verifier: VERIFIER,
  });
  const body = await answer.json<Tokens & { scope: string; resource?: string }>();
  expect(answer.status, JSON.stringify(body)).toBe(200);
  return { user, clientId, html, tokens: body };
}

describe("authorization server metadata", () => {
  it("advertises the introspection endpoint, its client authentication and both resources", async () => {
    const metadata = await (await call("/.well-known/oauth-authorization-server")).json<Record<string, unknown>>();
    expect(metadata["introspection_endpoint"]).toBe(`${ORIGIN}/introspect`);
    expect(metadata["introspection_endpoint_auth_methods_supported"]).toEqual(["client_secret_basic"]);
    expect(metadata["protected_resources"]).toEqual([OWN, SECOND]);
  });
});

describe("tokens for a second resource (RFC 8707)", () => {
  it("are issued for it, with no more scopes than it allows, and shown as its consent", async () => {
    const { html, tokens } = await tokensForSecond(["notes:read", "notes:write"]);
    // The page offers only the second resource's scopes and names it.
    expect(html).toContain(SECOND);
    expect(html).not.toContain('value="notes:write"');
    expect(tokens.scope).toBe("notes:read");
    expect(tokens.resource).toBe(SECOND);
  });

  it("are refused at this server's own /mcp: their audience is the other server", async () => {
    const { tokens } = await tokensForSecond();
    const answer = await mcp(tokens.access_token);
    expect(answer.status).toBe(401);
    expect(await answer.json()).toEqual({
      error: "invalid_token",
      error_description: "The access token is unknown, expired or revoked, or was issued for another resource.",
    });
    expect(answer.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });

  it("a resource this server does not know is invalid_target at /authorize, before any page", async () => {
    const clientId = await registerClient();
    const browser = new Browser();
    const answer = await browser.fetch(authorizePath(clientId, { resource: "http://localhost:9999/mcp" }));
    expect(answer.status).toBe(302);
    const location = new URL(answer.headers.get("location") ?? "");
    expect(location.searchParams.get("error")).toBe("invalid_target");
  });
});

describe("POST /introspect", () => {
  it("answers an active token with the RFC 7662 members, no-store", async () => {
    const rs = await resourceServer();
    const { user, clientId, tokens } = await tokensForSecond();
    const before = Math.floor(Date.now() / 1000);
    const answer = await introspect(rs.basic, { token: tokens.access_token, token_type_hint: "access_token" });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("cache-control")).toBe("no-store");
    const body = await answer.json<Record<string, unknown>>();
    expect(body).toEqual({
      active: true,
      scope: "notes:read",
      client_id: clientId,
      sub: user.id,
      aud: SECOND,
      iss: ORIGIN,
      exp: expect.any(Number) as number,
      iat: expect.any(Number) as number,
      token_type: "Bearer",
    });
    expect(body["iat"] as number).toBeLessThanOrEqual(before + 1);
    expect(body["exp"] as number).toBeGreaterThan(before);
  });

  it("is {active:false} and nothing else for a token whose audience the caller does not serve", async () => {
    const rs = await resourceServer([SECOND]);
    const own = await connected();
    const answer = await introspect(rs.basic, { token: own.tokens.access_token });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ active: false });
    // The same token for a caller that does serve this server's /mcp is active.
    const ownServer = await resourceServer([OWN]);
    expect(await (await introspect(ownServer.basic, { token: own.tokens.access_token })).json()).toMatchObject({
      active: true,
      aud: OWN,
    });
  });

  it("is {active:false} for unknown, malformed, refresh and overlong tokens", async () => {
    const rs = await resourceServer();
    const { tokens } = await tokensForSecond();
    const [userId, grantId] = tokens.access_token.split(":");
    for (const candidate of [
      "not-a-token",
      `${userId ?? ""}:${grantId ?? ""}:forged`,
      tokens.refresh_token,
      `${"u".repeat(600)}:g:s`,
    ]) {
      const answer = await introspect(rs.basic, { token: candidate });
      expect(answer.status, candidate.slice(0, 40)).toBe(200);
      expect(await answer.json()).toEqual({ active: false });
    }
  });

  it("is {active:false} once the grant is revoked in D1, before KV catches up", async () => {
    const rs = await resourceServer();
    const { user, tokens } = await tokensForSecond();
    // (Not asked before: an isolate trusts D1's answer for ACCOUNT_CHECK_TTL_MS, as /mcp does.)
    await recordRevokedGrants(env.DB, user.id, [tokens.access_token.split(":")[1] ?? ""]);
    expect(await (await introspect(rs.basic, { token: tokens.access_token })).json()).toEqual({ active: false });
  });

  it("is {active:false} for a disabled user's token", async () => {
    const rs = await resourceServer();
    const { user, tokens } = await tokensForSecond();
    await setDisabled(env.DB, user.id, true);
    expect(await (await introspect(rs.basic, { token: tokens.access_token })).json()).toEqual({ active: false });
  });

  it("refuses a caller without credentials: 401 invalid_client with a Basic challenge", async () => {
    const { tokens } = await tokensForSecond();
    const answer = await introspect(undefined, { token: tokens.access_token });
    expect(answer.status).toBe(401);
    expect(answer.headers.get("www-authenticate")).toBe('Basic realm="introspection", charset="UTF-8"');
    expect(await answer.json()).toEqual({
      error: "invalid_client",
      error_description:
        "Introspection is for registered resource servers: authenticate with HTTP Basic (client id and secret).",
    });
  });

  it("refuses a wrong secret, an unknown id, a removed server, an MCP client's bearer and malformed Basic alike", async () => {
    const rs = await resourceServer();
    const removed = await resourceServer();
    expect(await removeResourceServer(env.DB, removed.id)).toBe(true);
    const { tokens } = await tokensForSecond();
    for (const authorization of [
      clientSecretBasic(rs.id, `${rs.secret}x`),
      clientSecretBasic("rs_0123456789abcdef", rs.secret),
      removed.basic,
      `Bearer ${tokens.access_token}`,
      "Basic !!!",
      `Basic ${btoa("no-colon")}`,
    ]) {
      const answer = await introspect(authorization, { token: tokens.access_token });
      expect(answer.status, authorization.slice(0, 20)).toBe(401);
      expect(answer.headers.get("www-authenticate")).toContain("Basic");
      expect((await answer.json<{ error: string }>()).error).toBe("invalid_client");
    }
  });

  it("needs exactly one token in a urlencoded POST: 400 invalid_request; other methods 405", async () => {
    const rs = await resourceServer();
    const cases: [string | Record<string, string>, RequestInit, string][] = [
      [{}, {}, "Send exactly one non-empty token parameter."],
      ["token=a&token=b", {}, "Send exactly one non-empty token parameter."],
      [{ token: "" }, {}, "Send exactly one non-empty token parameter."],
      [
        JSON.stringify({ token: "x" }),
        { headers: { "content-type": "application/json", authorization: rs.basic } },
        "Send the token as an application/x-www-form-urlencoded body.",
      ],
    ];
    for (const [form, init, message] of cases) {
      const answer = await introspect(rs.basic, form, init);
      expect(answer.status).toBe(400);
      expect(await answer.json()).toEqual({ error: "invalid_request", error_description: message });
    }
    const get = await call("/introspect", { headers: { authorization: rs.basic } });
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
  });

  it("limits each resource server on its own: 429 with Retry-After, another caller unaffected", async () => {
    const busy = await resourceServer();
    const other = await resourceServer();
    let limited: Response | undefined;
    // The test binding allows 20 a minute per caller (vitest.workerd.config.ts).
    for (let i = 0; i < 40 && limited === undefined; i++) {
      const answer = await introspect(busy.basic, { token: "unknown" });
      if (answer.status === 429) limited = answer;
      else expect(answer.status).toBe(200);
    }
    expect(limited?.headers.get("retry-after")).toBe("60");
    expect(await limited?.json()).toEqual({
      error: "rate_limited",
      error_description: "Too many introspection requests from this resource server; retry after 60 seconds.",
    });
    expect((await introspect(other.basic, { token: "unknown" })).status).toBe(200);
  });
});

describe("POST /introspect and the per-address limit", () => {
  it("failed authentications spend the address's budget (429); a registered caller there is still answered", async () => {
    const rs = await resourceServer();
    const address = "198.51.100.77";
    let limited: Response | undefined;
    // The test binding allows 100 a minute per address (vitest.workerd.config.ts).
    for (let i = 0; i < 150 && limited === undefined; i++) {
      const answer = await introspect(clientSecretBasic(rs.id, "wrong"), { token: "x" }, {}, address);
      if (answer.status === 429) limited = answer;
      else expect(answer.status).toBe(401);
    }
    expect(limited?.headers.get("retry-after")).toBe("60");
    // The right secret from the same address: answered (a resource server asks for all its users
    // from one address; it has its own limit).
    const answer = await introspect(rs.basic, { token: "x" }, {}, address);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ active: false });
  });
});

describe("resource server registrations", () => {
  it("keep only the secret's hash; the secret authenticates, nothing else does", async () => {
    const rs = await resourceServer();
    const row = await env.DB.prepare("SELECT * FROM resource_servers WHERE id = ?")
      .bind(rs.id)
      .first<Record<string, string>>();
    expect(JSON.stringify(row)).not.toContain(rs.secret);
    expect(await authenticateResourceServer(env.DB, rs.id, rs.secret)).toMatchObject({
      id: rs.id,
      resources: [SECOND],
    });
    expect(await authenticateResourceServer(env.DB, rs.id, "")).toBeUndefined();
    expect(await authenticateResourceServer(env.DB, "rs_' OR 1=1 --", rs.secret)).toBeUndefined();
  });

  it("refuse a resource that is not an http(s) URL, an empty name, no resource", async () => {
    await expect(addResourceServer(env.DB, { name: "x", resources: ["ftp://a/mcp"] })).rejects.toThrow(
      "ftp://a/mcp is not an http(s) URL without fragment or userinfo",
    );
    await expect(addResourceServer(env.DB, { name: " ", resources: [SECOND] })).rejects.toThrow("a name of 1 to 100");
    await expect(addResourceServer(env.DB, { name: "x", resources: [] })).rejects.toThrow("at least one --resource");
  });
});

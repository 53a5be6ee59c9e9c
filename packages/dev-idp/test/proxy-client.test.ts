import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_CLIENTS,
  DEV_PROXY_CLIENT,
  DEV_TEST_CLIENT,
  basicAuth,
  devAccountClaims,
  startDevIdp,
  type DevIdp,
} from "../src/index.ts";
import { loadSigningKeys, saveSigningKeys } from "../src/key-state.ts";
import { MiniBrowser, pkce, runLoginFlow, type Pkce } from "./login-flow.ts";

const REDIRECT_URI = "http://127.0.0.1:18789/callback";
const SCOPE = "openid profile email offline_access";

let idp: DevIdp;

beforeAll(async () => {
  idp = await startDevIdp({ proxyRedirectUris: [REDIRECT_URI], control: true });
});

afterAll(async () => {
  await idp.stop();
});

function authorizeUrl(server: DevIdp, challenge: Pkce | undefined, extra: Record<string, string> = {}): URL {
  const url = new URL(server.authorizationUrl);
  url.search = new URLSearchParams({
    client_id: DEV_PROXY_CLIENT.clientId,
    response_type: "code",
    redirect_uri: REDIRECT_URI,
    scope: SCOPE,
    prompt: "consent",
    state: "state-123",
    ...(challenge === undefined ? {} : { code_challenge: challenge.challenge, code_challenge_method: "S256" }),
    ...extra,
  }).toString();
  // An empty extra value leaves the parameter out.
  for (const [name, value] of Object.entries(extra)) if (value === "") url.searchParams.delete(name);
  return url;
}

async function tokenRequest(server: DevIdp, params: Record<string, string>): Promise<Response> {
  return fetch(server.tokenUrl, {
    method: "POST",
    headers: {
      authorization: basicAuth(DEV_PROXY_CLIENT),
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams(params),
  });
}

type Json = Record<string, unknown>;

/** Logs `login` in through the pages and redeems the code; returns the token response. */
async function signIn(server: DevIdp, login: string, extra: Record<string, string> = {}): Promise<Json> {
  const verifier = pkce();
  const { callback } = await runLoginFlow(
    new MiniBrowser(),
    authorizeUrl(server, verifier, extra),
    REDIRECT_URI,
    login,
  );
  const code = callback.searchParams.get("code");
  expect(code).toEqual(expect.any(String));
  const response = await tokenRequest(server, {
    grant_type: "authorization_code",
    code: code ?? "",
    redirect_uri: REDIRECT_URI,
    code_verifier: verifier.verifier,
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Json;
}

function refresh(server: DevIdp, refreshToken: unknown): Promise<Response> {
  return tokenRequest(server, { grant_type: "refresh_token", refresh_token: String(refreshToken) });
}

describe("devAccountClaims", () => {
  it("derives a display name and an example.test email from the login", () => {
    expect(devAccountClaims("alice")).toEqual({
      sub: "alice",
      name: "Alice",
      preferred_username: "alice",
      email: "alice@example.test",
      email_verified: true,
    });
    expect(devAccountClaims("mary-jane.doe").name).toBe("Mary Jane Doe");
    expect(devAccountClaims("---").name).toBe("---");
  });
});

describe("the proxy client", () => {
  it("is a default client, registered for the proxy's dev callback", () => {
    expect(DEFAULT_CLIENTS).toContain(DEV_PROXY_CLIENT);
    expect(DEV_PROXY_CLIENT).toMatchObject({
      clientId: "mcp-oauth-proxy",
      clientSecret: "dev-only-mcp-oauth-proxy-secret",
      grantTypes: ["authorization_code", "refresh_token"],
      redirectUris: ["http://localhost:8789/callback"],
    });
  });

  it("discovery advertises code + PKCE S256, the profile/email scopes and their claims", async () => {
    const response = await fetch(idp.discoveryUrl);
    expect(response.status).toBe(200);
    const discovery = (await response.json()) as Json;
    expect(discovery.authorization_endpoint).toBe(idp.authorizationUrl);
    expect(discovery.userinfo_endpoint).toBe(idp.userinfoUrl);
    expect(discovery.code_challenge_methods_supported).toEqual(["S256"]);
    expect(discovery.scopes_supported).toEqual(
      expect.arrayContaining(["openid", "profile", "email", "offline_access"]),
    );
    expect(discovery.claims_supported).toEqual(
      expect.arrayContaining(["sub", "name", "preferred_username", "email", "email_verified"]),
    );
  });

  it("runs authorization_code + PKCE through the login and consent pages; the ID token names the user", async () => {
    const verifier = pkce();
    const flow = await runLoginFlow(new MiniBrowser(), authorizeUrl(idp, verifier), REDIRECT_URI, "alice");
    expect(flow.loginPages).toBe(1);
    expect(flow.consentPages).toBe(1);
    expect(flow.callback.searchParams.get("state")).toBe("state-123");
    expect(flow.callback.searchParams.get("iss")).toBe(idp.issuer);

    const response = await tokenRequest(idp, {
      grant_type: "authorization_code",
      code: flow.callback.searchParams.get("code") ?? "",
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier.verifier,
    });
    expect(response.status).toBe(200);
    const tokens = (await response.json()) as Json;
    expect(tokens).toMatchObject({ token_type: "Bearer", scope: SCOPE, expires_in: 3600 });
    expect(tokens.refresh_token).toEqual(expect.any(String));

    const { payload } = await jwtVerify(String(tokens.id_token), createRemoteJWKSet(new URL(idp.jwksUrl)), {
      issuer: idp.issuer,
      audience: DEV_PROXY_CLIENT.clientId,
      algorithms: ["RS256"],
    });
    expect(payload).toMatchObject({
      sub: "alice",
      name: "Alice",
      preferred_username: "alice",
      email: "alice@example.test",
      email_verified: true,
    });

    const userinfo = await fetch(idp.userinfoUrl, {
      headers: { authorization: `Bearer ${String(tokens.access_token)}` },
    });
    expect(userinfo.status).toBe(200);
    expect(await userinfo.json()).toEqual(devAccountClaims("alice"));
  });

  it("releases only the claims of the granted scopes", async () => {
    const tokens = await signIn(idp, "carol", { scope: "openid email" });
    const { payload } = await jwtVerify(String(tokens.id_token), createRemoteJWKSet(new URL(idp.jwksUrl)), {
      issuer: idp.issuer,
      audience: DEV_PROXY_CLIENT.clientId,
    });
    expect(payload.email).toBe("carol@example.test");
    expect(payload.name).toBeUndefined();
    expect(tokens.refresh_token).toBeUndefined();
  });

  it("requires PKCE: no code_challenge → redirect with invalid_request", async () => {
    const { callback } = await runLoginFlow(new MiniBrowser(), authorizeUrl(idp, undefined), REDIRECT_URI, "alice");
    expect(callback.searchParams.get("code")).toBeNull();
    expect(callback.searchParams.get("error")).toBe("invalid_request");
    expect(callback.searchParams.get("error_description")).toMatch(/PKCE/u);
  });

  it("refuses a code redeemed with the wrong code_verifier (invalid_grant)", async () => {
    const verifier = pkce();
    const { callback } = await runLoginFlow(new MiniBrowser(), authorizeUrl(idp, verifier), REDIRECT_URI, "alice");
    const response = await tokenRequest(idp, {
      grant_type: "authorization_code",
      code: callback.searchParams.get("code") ?? "",
      redirect_uri: REDIRECT_URI,
      code_verifier: pkce().verifier,
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: "invalid_grant" });
  });

  it("refuses an unregistered redirect URI with an error page, not a redirect", async () => {
    const url = authorizeUrl(idp, pkce(), { redirect_uri: "http://localhost:8789/callback" });
    const response = await fetch(url, { redirect: "manual" });
    expect(response.status).toBe(400);
    expect(response.headers.get("location")).toBeNull();
    expect(await response.text()).toContain("redirect_uri");
  });

  it("issues no refresh token for offline_access without prompt=consent (OIDC Core §11)", async () => {
    for (const prompt of ["", "login"]) {
      const tokens = await signIn(idp, "dave", { prompt });
      expect(tokens.refresh_token).toBeUndefined();
      expect(tokens.scope).toBe("openid profile email");
    }
  });

  it("refreshes, and revokeUserGrants makes the user's next refresh invalid_grant", async () => {
    const alice = await signIn(idp, "erin");
    const bob = await signIn(idp, "frank");

    const refreshed = await refresh(idp, alice.refresh_token);
    expect(refreshed.status).toBe(200);
    const body = (await refreshed.json()) as Json;
    expect(body.access_token).toEqual(expect.any(String));
    expect(body.access_token).not.toBe(alice.access_token);
    expect(body.id_token).toEqual(expect.any(String));

    expect(await idp.revokeUserGrants("erin")).toBe(1);
    const refused = await refresh(idp, alice.refresh_token);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: "invalid_grant" });
    const userinfo = await fetch(idp.userinfoUrl, {
      headers: { authorization: `Bearer ${String(body.access_token)}` },
    });
    expect(userinfo.status).toBe(401);

    // Control: another user's grant is untouched, and a second revocation finds nothing.
    expect((await refresh(idp, bob.refresh_token)).status).toBe(200);
    expect(await idp.revokeUserGrants("erin")).toBe(0);
  });
});

describe("the control routes", () => {
  it("POST revoke-grants revokes like revokeUserGrants", async () => {
    expect(idp.controlUrl).toBe(`${idp.issuer}/dev-control`);
    const tokens = await signIn(idp, "grace");
    const response = await fetch(`${idp.controlUrl}/revoke-grants?account=grace`, { method: "POST" });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ revoked: 1 });
    const refused = await refresh(idp, tokens.refresh_token);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: "invalid_grant" });
  });

  it.each([
    ["GET", "/revoke-grants?account=grace", 405, "method_not_allowed", "use POST"],
    ["POST", "/revoke-grants", 400, "invalid_request", "account is required"],
    ["POST", "/revoke-grants?account=", 400, "invalid_request", "account is required"],
    ["POST", "/other", 404, "not_found", "no control route /dev-control/other"],
  ])("%s %s → %i %s", async (method, path, status, error, description) => {
    const response = await fetch(`${idp.controlUrl ?? ""}${path}`, { method });
    expect(response.status).toBe(status);
    expect(await response.json()).toEqual({ error, error_description: description });
  });

  it("are off by default", async () => {
    const plain = await startDevIdp();
    try {
      expect(plain.controlUrl).toBeUndefined();
      const response = await fetch(`${plain.issuer}/dev-control/revoke-grants?account=grace`, { method: "POST" });
      expect(response.status).toBe(404);
      expect(await response.text()).toBe("Not Found");
    } finally {
      await plain.stop();
    }
  });
});

describe("dev-idp options for the proxy", () => {
  it("accessTokenTtlSeconds shortens access tokens; refresh still works after they expire", async () => {
    const short = await startDevIdp({ proxyRedirectUris: [REDIRECT_URI], accessTokenTtlSeconds: 1 });
    try {
      const tokens = await signIn(short, "alice");
      expect(tokens.expires_in).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 2100));
      const userinfo = await fetch(short.userinfoUrl, {
        headers: { authorization: `Bearer ${String(tokens.access_token)}` },
      });
      expect(userinfo.status).toBe(401);
      const refreshed = await refresh(short, tokens.refresh_token);
      expect(refreshed.status).toBe(200);
      expect(await refreshed.json()).toMatchObject({ expires_in: 1 });
    } finally {
      await short.stop();
    }
  });

  it("proxyRedirectUris replaces the registered ones; it needs the proxy client", async () => {
    const response = await fetch(authorizeUrl(idp, pkce(), { redirect_uri: "http://localhost:8789/callback" }), {
      redirect: "manual",
    });
    expect(response.status).toBe(400);
    await expect(startDevIdp({ clients: [DEV_TEST_CLIENT], proxyRedirectUris: [REDIRECT_URI] })).rejects.toThrow(
      "proxyRedirectUris given, but the clients do not include mcp-oauth-proxy",
    );
    await expect(startDevIdp({ proxyRedirectUris: [] })).rejects.toThrow("proxyRedirectUris must not be empty");
    await expect(startDevIdp({ accessTokenTtlSeconds: 0 })).rejects.toThrow(
      "accessTokenTtlSeconds must be a positive integer, got 0",
    );
  });

  it("a restart with the same signingKeys keeps the kids, so earlier tokens still verify", async () => {
    const first = await startDevIdp();
    const keys = first.exportSigningKeys();
    const jwt = await first.clientCredentialsToken({
      ...DEV_TEST_CLIENT,
      scope: "notes:read",
      resource: "http://localhost:8788/mcp",
    });
    const kidsBefore = ((await (await fetch(first.jwksUrl)).json()) as { keys: { kid: string }[] }).keys.map(
      (key) => key.kid,
    );
    await first.stop();
    expect(keys).toHaveLength(1);
    expect(keys[0]?.d).toEqual(expect.any(String));

    const second = await startDevIdp({ signingKeys: keys });
    try {
      const published = (await (await fetch(second.jwksUrl)).json()) as { keys: Record<string, unknown>[] };
      expect(published.keys.map((key) => key.kid)).toEqual(kidsBefore);
      expect(published.keys[0]?.d).toBeUndefined();
      expect(decodeProtectedHeader(jwt.access_token).kid).toBe(kidsBefore[0]);
      await expect(
        jwtVerify(jwt.access_token, createRemoteJWKSet(new URL(second.jwksUrl)), {
          audience: "http://localhost:8788/mcp",
        }),
      ).resolves.toBeDefined();
    } finally {
      await second.stop();
    }

    // Control: without signingKeys a restart gets a new kid.
    const third = await startDevIdp();
    try {
      expect(third.exportSigningKeys()[0]?.kid).not.toBe(kidsBefore[0]);
    } finally {
      await third.stop();
    }
  });

  it("refuses signingKeys that are empty, public or without kid", async () => {
    const keyOwner = await startDevIdp();
    const [key] = keyOwner.exportSigningKeys();
    await keyOwner.stop();
    if (key === undefined) throw new Error("no key");
    const publicKey = { ...key };
    delete publicKey.d;
    const noKid = { ...key };
    delete noKid.kid;
    await expect(startDevIdp({ signingKeys: [] })).rejects.toThrow("signingKeys must not be empty");
    await expect(startDevIdp({ signingKeys: [publicKey] })).rejects.toThrow(
      `signingKeys[0] (kid ${String(key.kid)}) is not a private key`,
    );
    await expect(startDevIdp({ signingKeys: [noKid] })).rejects.toThrow("signingKeys[0] has no kid");
  });
});

describe("the CLI's signing key file", () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "dev-idp-keys-"));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("round-trips the keys through an owner-only file; a missing file is undefined", async () => {
    const file = join(dir, "state", "signing-keys.json");
    expect(await loadSigningKeys(file, "keys.json")).toBeUndefined();
    const server = await startDevIdp();
    const keys = server.exportSigningKeys();
    await server.stop();
    await saveSigningKeys(file, keys);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await loadSigningKeys(file, "keys.json")).toEqual(keys);
  });

  it.each([
    ["not JSON", "{", "keys.json is not JSON; delete it to create new signing keys"],
    ["no keys array", '{"keys":[]}', 'keys.json has no "keys" array; delete it to create new signing keys'],
    [
      "a public key",
      '{"keys":[{"kty":"RSA","kid":"k1","n":"secret-looking-n","e":"AQAB"}]}',
      "keys.json holds a key that is not a private JWK with a kid; delete it to create new ones",
    ],
  ])("refuses a file with %s, naming the file and no key material", async (_case, text, message) => {
    const file = join(dir, "bad.json");
    await writeFile(file, text);
    const error = await loadSigningKeys(file, "keys.json").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe(message);
    expect(await readFile(file, "utf8")).toBe(text);
  });
});

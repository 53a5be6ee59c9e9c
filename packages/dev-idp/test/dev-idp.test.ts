import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEV_RESOURCE_SERVER_CLIENT,
  DEV_TEST_CLIENT,
  OAuthError,
  basicAuth,
  startDevIdp,
  type ClientCredentials,
  type DevIdp,
} from "../src/index.ts";

const JWT_RESOURCE = "http://localhost:8788/mcp";
const OPAQUE_RESOURCE = "urn:mcp-auth:opaque";
const SCOPES = "notes:read notes:write";

let idp: DevIdp;

beforeAll(async () => {
  idp = await startDevIdp({ port: 0 });
});

afterAll(async () => {
  await idp.stop();
});

function form(client: ClientCredentials | undefined, params: Record<string, string>): RequestInit {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  if (client !== undefined) headers.authorization = basicAuth(client);
  return { method: "POST", headers, body: new URLSearchParams(params) };
}

async function introspect(token: string): Promise<Record<string, unknown>> {
  const response = await fetch(idp.introspectionUrl, form(DEV_RESOURCE_SERVER_CLIENT, { token }));
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

function token(resource: string, scope = SCOPES) {
  return idp.clientCredentialsToken({
    clientId: DEV_TEST_CLIENT.clientId,
    clientSecret: DEV_TEST_CLIENT.clientSecret,
    scope,
    resource,
  });
}

async function rejection(promise: Promise<unknown>): Promise<OAuthError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OAuthError);
  if (!(error instanceof OAuthError)) throw new Error("unreachable");
  return error;
}

describe("dev-idp", () => {
  it("listens on 127.0.0.1 and publishes discovery", async () => {
    expect(new URL(idp.issuer).hostname).toBe("127.0.0.1");
    const response = await fetch(`${idp.issuer}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    const discovery = (await response.json()) as Record<string, unknown>;
    expect(discovery.issuer).toBe(idp.issuer);
    expect(discovery.introspection_endpoint).toBe(idp.introspectionUrl);
    expect(discovery.jwks_uri).toBe(idp.jwksUrl);
    expect(discovery.token_endpoint).toBe(idp.tokenUrl);
    expect(discovery.revocation_endpoint).toBe(idp.revocationUrl);
    expect(discovery.grant_types_supported).toContain("client_credentials");
  });

  it("issues RFC 9068 JWT access tokens for a jwt resource", async () => {
    const response = await token(JWT_RESOURCE);
    expect(response.token_type).toBe("Bearer");
    expect(response.expires_in).toBeGreaterThan(0);
    expect(response.scope).toBe(SCOPES);

    const { payload, protectedHeader } = await jwtVerify(
      response.access_token,
      createRemoteJWKSet(new URL(idp.jwksUrl)),
      { issuer: idp.issuer, audience: JWT_RESOURCE, typ: "at+jwt", algorithms: ["RS256"] },
    );
    expect(protectedHeader.typ).toBe("at+jwt");
    expect(protectedHeader.kid).toEqual(expect.any(String));
    expect(String(payload.scope).split(" ")).toEqual(expect.arrayContaining(["notes:read", "notes:write"]));
    expect(payload.client_id).toBe(DEV_TEST_CLIENT.clientId);
    expect(payload.sub).toBe(DEV_TEST_CLIENT.clientId);
    expect(payload.exp).toEqual(expect.any(Number));
  });

  it("narrows the token to the requested scope", async () => {
    const response = await token(JWT_RESOURCE, "notes:read");
    expect(response.scope).toBe("notes:read");
  });

  it("issues opaque tokens for an opaque resource, active in introspection until revoked", async () => {
    const response = await token(OPAQUE_RESOURCE);
    expect(() => decodeProtectedHeader(response.access_token)).toThrow();

    const active = await introspect(response.access_token);
    expect(active).toMatchObject({
      active: true,
      scope: SCOPES,
      client_id: DEV_TEST_CLIENT.clientId,
      sub: DEV_TEST_CLIENT.clientId,
      aud: JWT_RESOURCE,
      iss: idp.issuer,
      token_type: "Bearer",
    });
    expect(active.exp).toEqual(expect.any(Number));

    await idp.revoke(response.access_token, DEV_TEST_CLIENT);
    expect(await introspect(response.access_token)).toEqual({ active: false });
  });

  it("reports unknown tokens as inactive", async () => {
    expect(await introspect("not-a-token")).toEqual({ active: false });
  });

  it("accepts client_secret_post", async () => {
    const response = await fetch(
      idp.tokenUrl,
      form(undefined, {
        grant_type: "client_credentials",
        client_id: DEV_TEST_CLIENT.clientId,
        client_secret: DEV_TEST_CLIENT.clientSecret,
        scope: "notes:read",
        resource: OPAQUE_RESOURCE,
      }),
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body.scope).toBe("notes:read");

    const introspection = await fetch(
      idp.introspectionUrl,
      form(undefined, {
        token: String(body.access_token),
        client_id: DEV_RESOURCE_SERVER_CLIENT.clientId,
        client_secret: DEV_RESOURCE_SERVER_CLIENT.clientSecret,
      }),
    );
    expect(await introspection.json()).toMatchObject({ active: true, scope: "notes:read" });
  });

  it("rejects a wrong client secret with 401 invalid_client", async () => {
    const error = await rejection(
      idp.clientCredentialsToken({
        clientId: DEV_TEST_CLIENT.clientId,
        clientSecret: "wrong",
        scope: SCOPES,
        resource: JWT_RESOURCE,
      }),
    );
    expect(error.status).toBe(401);
    expect(error.error).toBe("invalid_client");

    const response = await fetch(
      idp.introspectionUrl,
      form({ clientId: DEV_RESOURCE_SERVER_CLIENT.clientId, clientSecret: "wrong" }, { token: "x" }),
    );
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: "invalid_client" });
  });

  it("rejects a scope the resource does not offer", async () => {
    const error = await rejection(token(JWT_RESOURCE, "notes:read admin"));
    expect(error.status).toBe(400);
    expect(error.error).toBe("invalid_scope");
  });

  it("rejects an unknown resource indicator", async () => {
    const error = await rejection(token("http://localhost:9999/other"));
    expect(error.error).toBe("invalid_target");
  });

  it("rotates the signing key, keeping the previous one in the JWKS", async () => {
    const before = await token(JWT_RESOURCE);
    const opaque = await token(OPAQUE_RESOURCE);
    await idp.rotateKey();
    const after = await token(JWT_RESOURCE);

    const oldKid = decodeProtectedHeader(before.access_token).kid;
    const newKid = decodeProtectedHeader(after.access_token).kid;
    expect(newKid).not.toBe(oldKid);

    const jwks = createRemoteJWKSet(new URL(idp.jwksUrl));
    for (const jwt of [before.access_token, after.access_token]) {
      await expect(jwtVerify(jwt, jwks, { issuer: idp.issuer, audience: JWT_RESOURCE })).resolves.toBeDefined();
    }
    expect(await introspect(opaque.access_token)).toMatchObject({ active: true });
  });
});

describe("dev-idp options", () => {
  it("uses the given clients and resources, and stop() is idempotent", async () => {
    const custom = await startDevIdp({
      clients: [
        { clientId: "rs", clientSecret: "rs-secret", grantTypes: [] },
        { clientId: "app", clientSecret: "app secret+/%", scope: "a:read" },
      ],
      resources: [{ indicator: "https://api.example/", scope: "a:read a:write", format: "opaque" }],
    });
    try {
      const app = { clientId: "app", clientSecret: "app secret+/%" };
      // The client's own scope allow-list applies.
      const denied = await rejection(
        custom.clientCredentialsToken({ ...app, scope: "a:write", resource: "https://api.example/" }),
      );
      expect(denied.error).toBe("invalid_scope");

      const issued = await custom.clientCredentialsToken({ ...app, scope: "a:read", resource: "https://api.example/" });
      const response = await fetch(
        custom.introspectionUrl,
        form({ clientId: "rs", clientSecret: "rs-secret" }, { token: issued.access_token }),
      );
      expect(await response.json()).toMatchObject({ active: true, aud: "https://api.example/", client_id: "app" });
    } finally {
      await custom.stop();
      await custom.stop();
    }
    await expect(fetch(custom.tokenUrl)).rejects.toThrow();
  });
});

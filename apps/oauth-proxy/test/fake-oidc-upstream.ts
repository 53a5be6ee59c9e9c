// An OpenID Connect provider for the workerd tests' own refusals, served to the Worker's outbound
// fetches (miniflare's outboundService) in Node: discovery, JWKS and a token endpoint whose ID
// token carries a nonce the Worker never sent, so a callback reaches the ID token check and fails
// there. The real sign-in against dev-idp is the e2e suite's.

export const FAKE_OIDC_ISSUER = "https://idp.oauth-proxy.test";
/** The client id the workerd bindings give the Worker at its upstream. */
const CLIENT_ID = "workerd-test-client";

function base64url(value: Uint8Array | string): string {
  const bytes = typeof value === "string" ? new TextEncoder().encode(value) : value;
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

let keyPair: Promise<CryptoKeyPair> | undefined;
const key = () =>
  (keyPair ??= crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  ) as Promise<CryptoKeyPair>);

async function idToken(claims: Record<string, unknown>): Promise<string> {
  const input = `${base64url(JSON.stringify({ alg: "RS256", kid: "fake-1", typ: "JWT" }))}.${base64url(JSON.stringify(claims))}`;
  const signature = await crypto.subtle.sign(
    "RSASSA-PKCS1-v1_5",
    (await key()).privateKey,
    new TextEncoder().encode(input),
  );
  return `${input}.${base64url(new Uint8Array(signature))}`;
}

/** The fake provider's answer to `request`, or `undefined` when the request is not for it. */
export async function fakeOidcUpstream(request: Request): Promise<Response | undefined> {
  const url = new URL(request.url);
  if (url.origin !== FAKE_OIDC_ISSUER) return undefined;
  switch (url.pathname) {
    case "/.well-known/openid-configuration":
      return Response.json({
        issuer: FAKE_OIDC_ISSUER,
        authorization_endpoint: `${FAKE_OIDC_ISSUER}/authorize`,
        token_endpoint: `${FAKE_OIDC_ISSUER}/token`,
        jwks_uri: `${FAKE_OIDC_ISSUER}/jwks`,
        response_types_supported: ["code"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256"],
        authorization_response_iss_parameter_supported: true,
      });
    case "/jwks": {
      const jwk = (await crypto.subtle.exportKey("jwk", (await key()).publicKey)) as JsonWebKey;
      return Response.json({ keys: [{ ...jwk, kid: "fake-1", alg: "RS256", use: "sig" }] });
    }
    case "/token": {
      const now = Math.floor(Date.now() / 1000);
      return Response.json({
        access_token: "fake-upstream-access",
        token_type: "Bearer",
        expires_in: 3600,
        id_token: await idToken({
          iss: FAKE_OIDC_ISSUER,
          sub: "mallory",
          aud: CLIENT_ID,
          iat: now,
          exp: now + 300,
          nonce: "a-nonce-this-worker-never-sent",
        }),
      });
    }
    default:
      return new Response("not found", { status: 404 });
  }
}

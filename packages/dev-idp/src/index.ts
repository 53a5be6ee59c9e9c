// A real OAuth 2.0 / OpenID Connect authorization server (panva's oidc-provider) for local
// development and tests. DEV ONLY: fixed secrets, fixed cookie keys, in-memory storage, plain
// HTTP (or HTTPS with a test certificate) on 127.0.0.1. Never deploy it.
// oidc-provider ships no types; our declaration must travel with every program importing us.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- an ambient module declaration has no import form
/// <reference path="./oidc-provider.d.ts" />
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import {
  SignJWT,
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  type JWK,
} from "jose";
import Provider, {
  errors,
  type ClientMetadata,
  type Configuration,
  type KoaContextWithOIDC,
  type ResourceServerInfo,
} from "oidc-provider";
import { createMemoryAdapter } from "./adapter.ts";

export interface DevIdpOptions {
  /** Port to listen on (127.0.0.1 only). 0 picks a free port. Default 0. */
  port?: number;
  /**
   * Issuer identifier, an origin without a path. Default `http://127.0.0.1:<port>`, or
   * `https://127.0.0.1:<port>` with {@link DevIdpOptions.tls}.
   */
  issuer?: string;
  /**
   * Serve HTTPS with this PEM key and certificate (e.g. dev-harness's `selfSignedCertificate`)
   * instead of plain HTTP: for a relying party that accepts only https issuers, as
   * workers-oauth-provider does for an enterprise IdP. Its clients must trust the certificate.
   */
  tls?: { key: string; cert: string };
  /** Registered clients. Default {@link DEFAULT_CLIENTS}. */
  clients?: DevClient[];
  /** Resource servers tokens can be issued for. Default {@link DEFAULT_RESOURCES}. */
  resources?: DevResource[];
  /**
   * Exact redirect URIs of the {@link DEV_PROXY_CLIENT} (e.g. a test's proxy on a free port),
   * replacing its registered ones. The clients must include `mcp-oauth-proxy`.
   */
  proxyRedirectUris?: string[];
  /**
   * Lifetime of every access token issued (authorization_code, refresh_token and
   * client_credentials grants), in seconds. Default one hour; tests make it short to watch
   * upstream tokens expire.
   */
  accessTokenTtlSeconds?: number;
  /**
   * Rotate the refresh token at every refresh, as RFC 9700 §4.14.2 asks of public clients and
   * many providers do for all: a reused (rotated-away) refresh token then fails with
   * invalid_grant and revokes the whole grant. Default false: oidc-provider's default, which for
   * a confidential client rotates only after 70% of the refresh token's lifetime.
   */
  rotateRefreshTokens?: boolean;
  /**
   * Private signing JWKs (each with `kid`), the first one signs. Default: one fresh RS256 key.
   * `pnpm dev` passes the keys it saved last time, so tokens and ID tokens survive a restart.
   */
  signingKeys?: JWK[];
  /**
   * Serves {@link DevIdp.controlUrl}: HTTP for what tests in another process (vitest workers,
   * while a global setup owns the IdP) cannot call directly. Off by default: it is
   * unauthenticated. Default false.
   */
  control?: boolean;
}

export interface DevClient {
  clientId: string;
  clientSecret: string;
  /** Default `["client_credentials"]`. Add `authorization_code` (and `redirectUris`) for browser flows. */
  grantTypes?: string[];
  redirectUris?: string[];
  /** Scopes this client may request; unset means any scope a resource offers. */
  scope?: string;
  /**
   * The ID-JAGs this client may get ({@link TOKEN_EXCHANGE_GRANT}): an authorization server's
   * issuer (the exchange's `audience`) → this client's id there, the ID-JAG's `client_id`, as an
   * enterprise IdP's administrator registers it. Also add {@link TOKEN_EXCHANGE_GRANT} to
   * `grantTypes`. Unset: none.
   */
  idJagClientIds?: Record<string, string>;
}

export interface DevResource {
  /** RFC 8707 resource indicator, e.g. `http://localhost:8788/mcp`. */
  indicator: string;
  /** Space-separated scopes the resource offers, e.g. `notes:read notes:write`. */
  scope: string;
  /** `jwt`: RFC 9068 JWT access tokens (verify with the JWKS); `opaque`: check with introspection. */
  format: "jwt" | "opaque";
  /** Token `aud`. Default: the indicator. */
  audience?: string;
}

export interface TokenResponse {
  access_token: string;
  expires_in: number;
  token_type: string;
  scope?: string;
}

/** An ID-JAG from {@link DevIdp.exchangeForIdJag}: RFC 8693 §2.2.1 as the ID-JAG draft profiles it. */
export interface IdJagResponse {
  /** The ID-JAG (`typ: oauth-id-jag+jwt`), despite the name: RFC 8693 puts every issued token here. */
  access_token: string;
  issued_token_type: typeof ID_JAG_TOKEN_TYPE;
  /** `N_A`: the ID-JAG is a grant for an authorization server, not an access token. */
  token_type: "N_A";
  expires_in: number;
  scope?: string;
}

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

export interface DevIdp {
  issuer: string;
  /** `<issuer>/.well-known/openid-configuration` */
  discoveryUrl: string;
  authorizationUrl: string;
  userinfoUrl: string;
  jwksUrl: string;
  introspectionUrl: string;
  tokenUrl: string;
  revocationUrl: string;
  /** client_credentials grant at the token endpoint (client_secret_basic). Throws {@link OAuthError}. */
  clientCredentialsToken(input: ClientCredentials & { scope: string; resource: string }): Promise<TokenResponse>;
  /** RFC 7009 revocation, authenticated as the client the token was issued to. Opaque tokens only. */
  revoke(token: string, client: ClientCredentials): Promise<void>;
  /**
   * Signs new JWTs with a fresh key. The previous key stays in the JWKS so tokens it signed keep
   * verifying; older keys are dropped. Issued opaque tokens survive.
   */
  rotateKey(): Promise<void>;
  /**
   * Revokes every grant `accountId` (the login name) gave, to any client, with the codes, access
   * tokens and refresh tokens issued under them: the next refresh gets `invalid_grant`, the next
   * authorization asks for consent again. The IdP login session stays. Returns how many grants
   * were revoked.
   */
  revokeUserGrants(accountId: string): Promise<number>;
  /**
   * With {@link DevIdpOptions.control}: `<issuer>/dev-control`, under which
   * `POST /dev-control/revoke-grants?account=<login>` does {@link DevIdp.revokeUserGrants} and
   * answers `200 {"revoked": <count>}`. `undefined` otherwise.
   */
  controlUrl: string | undefined;
  /**
   * RFC 8693 token exchange of `idToken` (an ID token this IdP issued to `client`) for an ID-JAG
   * for the authorization server `audience` (its issuer) and, optionally, the MCP server
   * `resource` and `scope`. Throws {@link OAuthError}.
   */
  exchangeForIdJag(input: {
    client: ClientCredentials;
    idToken: string;
    audience: string;
    resource?: string;
    scope?: string;
  }): Promise<IdJagResponse>;
  /** The current private signing JWKs, signer first: what `pnpm dev` saves to reuse on restart. */
  exportSigningKeys(): JWK[];
  stop(): Promise<void>;
}

/** RFC 8693 §2.1: the token exchange grant type. */
export const TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";
/** RFC 8693 §3: an OpenID Connect ID token as the subject token. */
export const ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token";
/** The ID-JAG draft §9: the token type of an Identity Assertion JWT Authorization Grant. */
export const ID_JAG_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id-jag";
/** How long an ID-JAG lives: short, as the draft asks (authorization servers accept up to five minutes). */
export const ID_JAG_TTL_SECONDS = 300;

/** DEV ONLY credentials of the default clients. */
export const DEV_TEST_CLIENT: DevClient = {
  clientId: "mcp-test-client",
  clientSecret: "dev-only-mcp-test-client-secret",
  grantTypes: ["client_credentials"],
};
export const DEV_RESOURCE_SERVER_CLIENT: DevClient = {
  clientId: "mcp-resource-server",
  clientSecret: "dev-only-mcp-resource-server-secret",
  grantTypes: [],
};
/**
 * The confidential client apps/oauth-proxy signs its users in with (authorization_code + PKCE
 * S256, refresh tokens with `offline_access`). Tests pass their own redirect URIs with
 * {@link DevIdpOptions.proxyRedirectUris}.
 */
export const DEV_PROXY_CLIENT: DevClient = {
  clientId: "mcp-oauth-proxy",
  clientSecret: "dev-only-mcp-oauth-proxy-secret",
  grantTypes: ["authorization_code", "refresh_token"],
  redirectUris: ["http://localhost:8789/callback"],
  scope: "openid profile email offline_access",
};
export const DEFAULT_CLIENTS: readonly DevClient[] = [DEV_TEST_CLIENT, DEV_RESOURCE_SERVER_CLIENT, DEV_PROXY_CLIENT];

export const DEFAULT_RESOURCES: readonly DevResource[] = [
  { indicator: "http://localhost:8788/mcp", scope: "notes:read notes:write", format: "jwt" },
  {
    indicator: "urn:mcp-auth:opaque",
    scope: "notes:read notes:write",
    format: "opaque",
    audience: "http://localhost:8788/mcp",
  },
];

/** DEV ONLY: fixed cookie signing keys. */
const COOKIE_KEYS = ["dev-idp-cookie-key-dev-only-never-deploy"];

const TTL_SECONDS = 60 * 60;

/** The path prefix of the test control routes; oidc-provider serves nothing under it. */
const CONTROL_PATH = "/dev-control";

/** The claims of a dev account; `sub` and `preferred_username` are the login name. */
export interface DevAccountClaims {
  sub: string;
  name: string;
  preferred_username: string;
  email: string;
  email_verified: true;
}

/**
 * The claims dev-idp gives the account a login name signs in as (devInteractions accepts any
 * name): `alice` → name `Alice`, email `alice@example.test`; `mary-jane.doe` → `Mary Jane Doe`.
 */
export function devAccountClaims(login: string): DevAccountClaims {
  const words = login.split(/[\s._-]+/u).filter((word) => word !== "");
  const name = words.map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join(" ");
  return {
    sub: login,
    name: name === "" ? login : name,
    preferred_username: login,
    email: `${login}@example.test`,
    email_verified: true,
  };
}

/** An OAuth error response from the IdP (RFC 6749 §5.2). */
export class OAuthError extends Error {
  readonly status: number;
  readonly error: string;
  readonly errorDescription: string | undefined;

  constructor(status: number, error: string, errorDescription: string | undefined) {
    super(`${error}${errorDescription === undefined ? "" : `: ${errorDescription}`} (HTTP ${status})`);
    this.name = "OAuthError";
    this.status = status;
    this.error = error;
    this.errorDescription = errorDescription;
  }
}

/** `Authorization: Basic` for client_secret_basic; RFC 6749 §2.3.1 form-encodes both parts. */
export function basicAuth(client: ClientCredentials): string {
  const encode = (value: string): string => encodeURIComponent(value).replaceAll("%20", "+");
  return `Basic ${Buffer.from(`${encode(client.clientId)}:${encode(client.clientSecret)}`).toString("base64")}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

async function oauthError(response: Response): Promise<OAuthError> {
  const body: unknown = await response.json().catch(() => undefined);
  if (isRecord(body) && typeof body.error === "string") {
    const description = typeof body.error_description === "string" ? body.error_description : undefined;
    return new OAuthError(response.status, body.error, description);
  }
  return new OAuthError(response.status, "unexpected_response", undefined);
}

function parseTokenResponse(body: unknown): TokenResponse {
  if (
    !isRecord(body) ||
    typeof body.access_token !== "string" ||
    typeof body.expires_in !== "number" ||
    typeof body.token_type !== "string"
  ) {
    throw new Error("token endpoint returned a malformed response");
  }
  const response: TokenResponse = {
    access_token: body.access_token,
    expires_in: body.expires_in,
    token_type: body.token_type,
  };
  if (typeof body.scope === "string") response.scope = body.scope;
  return response;
}

function parseIdJagResponse(body: unknown): IdJagResponse {
  if (
    !isRecord(body) ||
    typeof body.access_token !== "string" ||
    body.issued_token_type !== ID_JAG_TOKEN_TYPE ||
    body.token_type !== "N_A" ||
    typeof body.expires_in !== "number"
  ) {
    throw new Error("token endpoint returned a malformed token exchange response");
  }
  const response: IdJagResponse = {
    access_token: body.access_token,
    issued_token_type: ID_JAG_TOKEN_TYPE,
    token_type: "N_A",
    expires_in: body.expires_in,
  };
  if (typeof body.scope === "string") response.scope = body.scope;
  return response;
}

/** The public half of a private JWK (what the JWKS endpoint publishes). */
function publicJwk(key: JWK): JWK {
  const privateMembers = new Set(["d", "p", "q", "dp", "dq", "qi"]);
  return Object.fromEntries(Object.entries(key).filter(([name]) => !privateMembers.has(name)));
}

/** An absolute URL without a fragment (RFC 8707 §2), or undefined. */
function resourceIndicator(value: string): string | undefined {
  if (!URL.canParse(value)) return undefined;
  return new URL(value).hash === "" && !value.includes("#") ? value : undefined;
}

/** A private signing JWK as {@link DevIdpOptions.signingKeys} needs it; throws naming what is wrong. */
function checkSigningKey(key: JWK, index: number): JWK {
  if (typeof key.kid !== "string" || key.kid === "") throw new Error(`signingKeys[${index}] has no kid`);
  if (key.d === undefined) throw new Error(`signingKeys[${index}] (kid ${key.kid}) is not a private key`);
  if (key.kty !== "RSA" && key.kty !== "EC" && key.kty !== "OKP") {
    throw new Error(`signingKeys[${index}] (kid ${key.kid}) has unsupported kty ${String(key.kty)}`);
  }
  return key;
}

async function signingKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { ...jwk, kid, alg: "RS256", use: "sig" };
}

function clientMetadata(client: DevClient): ClientMetadata {
  const grantTypes = client.grantTypes ?? ["client_credentials"];
  const metadata: ClientMetadata = {
    client_id: client.clientId,
    client_secret: client.clientSecret,
    grant_types: grantTypes,
    response_types: grantTypes.includes("authorization_code") ? ["code"] : [],
    redirect_uris: client.redirectUris ?? [],
    token_endpoint_auth_method: "client_secret_basic",
  };
  if (client.scope !== undefined) metadata.scope = client.scope;
  return metadata;
}

function scopeList(scope: string): string[] {
  return scope.split(" ").filter((s) => s !== "");
}

function stripTrailingSlash(url: string): string {
  return url.endsWith("/") ? url.slice(0, -1) : url;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function withProxyRedirectUris(clients: readonly DevClient[], redirectUris: string[] | undefined): DevClient[] {
  if (redirectUris === undefined) return [...clients];
  if (redirectUris.length === 0) throw new Error("proxyRedirectUris must not be empty");
  if (!clients.some((client) => client.clientId === DEV_PROXY_CLIENT.clientId)) {
    throw new Error(`proxyRedirectUris given, but the clients do not include ${DEV_PROXY_CLIENT.clientId}`);
  }
  return clients.map((client) =>
    client.clientId === DEV_PROXY_CLIENT.clientId ? { ...client, redirectUris: [...redirectUris] } : client,
  );
}

export async function startDevIdp(options: DevIdpOptions = {}): Promise<DevIdp> {
  const clients = withProxyRedirectUris(options.clients ?? DEFAULT_CLIENTS, options.proxyRedirectUris);
  const accessTokenTtl = options.accessTokenTtlSeconds ?? TTL_SECONDS;
  if (!Number.isInteger(accessTokenTtl) || accessTokenTtl <= 0) {
    throw new Error(`accessTokenTtlSeconds must be a positive integer, got ${accessTokenTtl}`);
  }
  const givenKeys = options.signingKeys?.map(checkSigningKey);
  if (givenKeys?.length === 0) throw new Error("signingKeys must not be empty");
  const resources = options.resources ?? DEFAULT_RESOURCES;
  const byIndicator = new Map(resources.map((resource) => [resource.indicator, resource]));
  const resourceScopes = [...new Set(resources.flatMap((resource) => scopeList(resource.scope)))];

  let handle: ReturnType<Provider["callback"]> | undefined;
  const storage = createMemoryAdapter();
  const listener: RequestListener = (req, res) => {
    if (handle === undefined) {
      res.writeHead(503).end();
      return;
    }
    if (options.control === true && (req.url ?? "").startsWith(`${CONTROL_PATH}/`)) {
      control(req, res);
      return;
    }
    void handle(req, res);
  };
  const server = options.tls === undefined ? createServer(listener) : createTlsServer(options.tls, listener);

  /** The control routes; see {@link DevIdp.controlUrl}. */
  function control(req: IncomingMessage, res: ServerResponse): void {
    const json = (status: number, body: Record<string, unknown>): void => {
      res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? "/", "http://dev-idp");
    if (url.pathname !== `${CONTROL_PATH}/revoke-grants`) {
      json(404, { error: "not_found", error_description: `no control route ${url.pathname}` });
    } else if (req.method !== "POST") {
      res.setHeader("allow", "POST");
      json(405, { error: "method_not_allowed", error_description: "use POST" });
    } else {
      const account = url.searchParams.get("account");
      if (account === null || account === "") {
        json(400, { error: "invalid_request", error_description: "account is required" });
      } else {
        json(200, { revoked: storage.revokeAccountGrants(account) });
      }
    }
    req.resume();
  }
  const port = await listen(server, options.port ?? 0);

  const scheme = options.tls === undefined ? "http" : "https";
  const issuer = stripTrailingSlash(options.issuer ?? `${scheme}://127.0.0.1:${port}`);
  if (new URL(issuer).pathname !== "/") {
    server.close();
    throw new Error(`dev-idp issuer must be an origin without a path, got ${issuer}`);
  }

  const interactive = clients.some((client) => client.grantTypes?.includes("authorization_code") === true);

  function configuration(keys: JWK[]): Configuration {
    return {
      adapter: storage.adapter,
      clients: clients.map(clientMetadata),
      cookies: { keys: COOKIE_KEYS },
      jwks: { keys },
      scopes: ["openid", "profile", "email", "offline_access", ...resourceScopes],
      // OIDC Core §5.4: what `profile` and `email` release.
      claims: {
        openid: ["sub"],
        profile: ["name", "preferred_username"],
        email: ["email", "email_verified"],
      },
      // Put the scope-released claims (name, email) in the ID token of a code flow too, so a
      // client needs no userinfo call to learn who signed in.
      conformIdTokenClaims: false,
      // OAuth 2.1 §4.1.1: every authorization_code client uses PKCE (S256, oidc-provider's only method).
      pkce: { required: () => true },
      ttl: {
        AccessToken: accessTokenTtl,
        ClientCredentials: accessTokenTtl,
        AuthorizationCode: 60,
        IdToken: TTL_SECONDS,
        RefreshToken: 24 * TTL_SECONDS,
        Interaction: TTL_SECONDS,
        Session: 24 * TTL_SECONDS,
        Grant: 24 * TTL_SECONDS,
      },
      // Any browser origin may call the token endpoints: this server only ever runs locally.
      clientBasedCORS: () => true,
      ...(options.rotateRefreshTokens === true ? { rotateRefreshToken: true } : {}),
      // Accounts for authorization_code logins (devInteractions accepts any login name);
      // oidc-provider releases only the claims the granted scopes allow.
      findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ ...devAccountClaims(sub) }) }),
      // RFC 9068 §2.2: a client_credentials token's subject is the client. JWTs get this from
      // oidc-provider already; this puts the same `sub` into introspection responses.
      extraTokenClaims: async (_ctx, token) =>
        token.kind === "ClientCredentials" && token.clientId !== undefined ? { sub: token.clientId } : undefined,
      features: {
        // The built-in login/consent pages (any login name is accepted) are only needed, and only
        // enabled, when some client can use the authorization_code grant.
        devInteractions: { enabled: interactive },
        clientCredentials: { enabled: true },
        // Confidential clients (e.g. the resource server) may introspect any token; public
        // clients only their own. This is oidc-provider's default policy, made explicit.
        introspection: {
          enabled: true,
          allowedPolicy: async (_ctx, client, token) =>
            client.clientAuthMethod !== "none" || token.clientId === client.clientId,
        },
        // Only the client a token was issued to may revoke it (oidc-provider's default policy).
        revocation: {
          enabled: true,
          allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
        },
        resourceIndicators: {
          enabled: true,
          defaultResource: async (ctx, _client, oneOf) => {
            if (oneOf !== undefined) return oneOf[0];
            // client_credentials without `resource=` gets the first resource; other flows get
            // none, so an `openid` login still yields a userinfo-capable access token.
            const first = resources[0];
            return ctx.oidc.params?.grant_type === "client_credentials" ? first?.indicator : undefined;
          },
          getResourceServerInfo: async (ctx, indicator) => {
            const resource = byIndicator.get(indicator);
            if (resource === undefined) throw new errors.InvalidTarget(`unknown resource indicator ${indicator}`);
            // oidc-provider silently drops scopes a resource does not offer; fail loudly instead.
            const requested = ctx.oidc.params?.scope;
            if (ctx.oidc.params?.grant_type === "client_credentials" && typeof requested === "string") {
              const offered = new Set(scopeList(resource.scope));
              const unknown = scopeList(requested).filter((scope) => !offered.has(scope));
              if (unknown.length > 0) {
                const list = unknown.join(" ");
                throw new errors.InvalidScope(`resource ${indicator} does not offer scope: ${list}`, list);
              }
            }
            const info: ResourceServerInfo = {
              scope: resource.scope,
              audience: resource.audience ?? indicator,
              accessTokenFormat: resource.format,
              accessTokenTTL: accessTokenTtl,
              jwt: { sign: { alg: "RS256" } },
            };
            return info;
          },
        },
      },
    };
  }

  const clientsById = new Map(clients.map((client) => [client.clientId, client]));

  /**
   * The RFC 8693 token exchange of an ID token for an ID-JAG (draft-ietf-oauth-identity-assertion-
   * authz-grant §4.3), after oidc-provider authenticated the client (every dev-idp client is
   * confidential) and checked its `grant_types`.
   * Validates: `requested_token_type` is an ID-JAG and `subject_token_type` an ID token; the
   * subject token is an ID token of this issuer, signed with one of its keys, issued to this
   * client, not expired; the client may get ID-JAGs for `audience` ({@link DevClient.idJagClientIds});
   * `resource`, when given, is an absolute URL without a fragment.
   * Does not validate: that the user still has a session here, or which resources and scopes the
   * audience offers (the authorization server decides what the ID-JAG is worth).
   */
  function idJagExchange(keys: JWK[]) {
    const verificationKeys = createLocalJWKSet({ keys: keys.map(publicJwk) });
    return async (ctx: KoaContextWithOIDC): Promise<void> => {
      const params = ctx.oidc.params ?? {};
      const text = (name: string): string | undefined => {
        const value = params[name];
        return typeof value === "string" && value !== "" ? value : undefined;
      };
      if (text("requested_token_type") !== ID_JAG_TOKEN_TYPE) {
        throw new errors.InvalidRequest(`requested_token_type must be ${ID_JAG_TOKEN_TYPE}`);
      }
      if (text("subject_token_type") !== ID_TOKEN_TYPE) {
        throw new errors.InvalidRequest(`subject_token_type must be ${ID_TOKEN_TYPE}`);
      }
      const subjectToken = text("subject_token");
      if (subjectToken === undefined) throw new errors.InvalidRequest("subject_token is required");
      const audience = text("audience");
      if (audience === undefined) {
        throw new errors.InvalidRequest("audience is required: the authorization server's issuer");
      }
      const client = ctx.oidc.client;
      if (client === undefined) throw new errors.InvalidRequest("no authenticated client");
      const clientIdThere = clientsById.get(client.clientId)?.idJagClientIds?.[audience];
      if (clientIdThere === undefined) {
        throw new errors.InvalidTarget(`client ${client.clientId} may not get ID-JAGs for audience ${audience}`);
      }
      const given = text("resource");
      const resource = given === undefined ? undefined : resourceIndicator(given);
      if (given !== undefined && resource === undefined) {
        throw new errors.InvalidTarget("resource must be an absolute URL without a fragment");
      }
      let subject: string;
      try {
        const { payload } = await jwtVerify(subjectToken, verificationKeys, {
          issuer,
          audience: client.clientId,
          algorithms: ["RS256"],
          requiredClaims: ["sub", "exp", "iat"],
        });
        subject = String(payload.sub);
      } catch {
        // RFC 8693 §2.2.2: an unusable subject token is invalid_request. Which check failed stays here.
        throw new errors.InvalidRequest("subject_token is not a valid ID token this issuer gave this client");
      }
      const signer = keys.find((key) => key.kty === "RSA");
      if (signer === undefined) throw new Error("dev-idp has no RSA signing key for ID-JAGs");
      const { email, email_verified } = devAccountClaims(subject);
      const scope = text("scope");
      const now = Math.floor(Date.now() / 1000);
      const assertion = await new SignJWT({
        sub: subject,
        client_id: clientIdThere,
        jti: randomUUID(),
        email,
        email_verified,
        ...(resource === undefined ? {} : { resource }),
        ...(scope === undefined ? {} : { scope }),
      })
        .setProtectedHeader({
          alg: "RS256",
          typ: "oauth-id-jag+jwt",
          ...(signer.kid === undefined ? {} : { kid: signer.kid }),
        })
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt(now)
        .setExpirationTime(now + ID_JAG_TTL_SECONDS)
        .sign(await importJWK(signer, "RS256"));
      ctx.body = {
        access_token: assertion,
        issued_token_type: ID_JAG_TOKEN_TYPE,
        token_type: "N_A",
        expires_in: ID_JAG_TTL_SECONDS,
        ...(scope === undefined ? {} : { scope }),
      };
    };
  }

  function install(keys: JWK[]): void {
    const provider = new Provider(issuer, configuration(keys));
    provider.on("server_error", (_ctx, error) => {
      console.error("dev-idp server_error:", error);
    });
    provider.registerGrantType(TOKEN_EXCHANGE_GRANT, idJagExchange(keys), [
      "subject_token",
      "subject_token_type",
      "requested_token_type",
      "audience",
      "resource",
      "scope",
    ]);
    handle = provider.callback();
  }

  let stopped = false;
  let keys = givenKeys ?? [await signingKey()];
  install(keys);

  const tokenUrl = `${issuer}/token`;
  const revocationUrl = `${issuer}/token/revocation`;

  async function post(url: string, client: ClientCredentials, params: Record<string, string>): Promise<Response> {
    return fetch(url, {
      method: "POST",
      headers: { authorization: basicAuth(client), "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(params),
    });
  }

  return {
    issuer,
    discoveryUrl: `${issuer}/.well-known/openid-configuration`,
    authorizationUrl: `${issuer}/auth`,
    userinfoUrl: `${issuer}/me`,
    controlUrl: options.control === true ? `${issuer}${CONTROL_PATH}` : undefined,
    jwksUrl: `${issuer}/jwks`,
    introspectionUrl: `${issuer}/token/introspection`,
    tokenUrl,
    revocationUrl,

    async clientCredentialsToken({ clientId, clientSecret, scope, resource }) {
      const response = await post(
        tokenUrl,
        { clientId, clientSecret },
        { grant_type: "client_credentials", scope, resource },
      );
      if (!response.ok) throw await oauthError(response);
      return parseTokenResponse(await response.json());
    },

    async exchangeForIdJag({ client, idToken, audience, resource, scope }) {
      const response = await post(tokenUrl, client, {
        grant_type: TOKEN_EXCHANGE_GRANT,
        requested_token_type: ID_JAG_TOKEN_TYPE,
        subject_token: idToken,
        subject_token_type: ID_TOKEN_TYPE,
        audience,
        ...(resource === undefined ? {} : { resource }),
        ...(scope === undefined ? {} : { scope }),
      });
      if (!response.ok) throw await oauthError(response);
      return parseIdJagResponse(await response.json());
    },

    async revoke(token, client) {
      const response = await post(revocationUrl, client, { token });
      if (!response.ok) throw await oauthError(response);
      await response.body?.cancel();
    },

    async rotateKey() {
      const next = await signingKey();
      keys = [next, ...keys.slice(0, 1)];
      install(keys);
    },

    async revokeUserGrants(accountId) {
      return storage.revokeAccountGrants(accountId);
    },

    exportSigningKeys() {
      return keys.map((key) => ({ ...key }));
    },

    async stop() {
      if (stopped) return;
      stopped = true;
      handle = undefined;
      await new Promise<void>((resolve, reject) => {
        server.close((error) => {
          if (error === undefined) resolve();
          else reject(error);
        });
        server.closeAllConnections();
      });
    },
  };
}

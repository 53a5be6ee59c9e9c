import type { JWTPayload } from "jose";
import { expect } from "vitest";
import { UpstreamError, type UpstreamClient } from "../src/upstream/index.ts";
import { FakeFetch, rsaKey, signRs256, type RecordedCall, type SigningKey } from "./fakes.ts";
import { rejected } from "./helpers.ts";

/** The test clock (seconds): a fixed instant, so expiry checks prove the injected clock is used. */
export const T0 = Date.UTC(2026, 0, 1) / 1000;
export const CLIENT_ID = "proxy-client";
export const CLIENT_SECRET = "s3cret~value.with/odd=chars";
export const REDIRECT_URI = "https://proxy.example/callback";
export const STATE = "state-from-the-library";
export const CODE = "authorization-code-0123456789";
export const ACCESS_TOKEN = "upstream-access-token-abcdef";
export const REFRESH_TOKEN = "upstream-refresh-token-ghijkl";
export const NEW_REFRESH_TOKEN = "upstream-refresh-token-rotated";

/** Every value that must never appear in an error's message, reason or detail. */
export const SECRETS = [CLIENT_SECRET, CODE, ACCESS_TOKEN, REFRESH_TOKEN, NEW_REFRESH_TOKEN];

/** A scripted fetch answer. */
export type Answer = (call: RecordedCall) => Response | Promise<Response>;

/**
 * A fake OpenID Connect provider behind a {@link FakeFetch}: discovery, JWKS and a scripted token
 * endpoint, with ID tokens signed by a real RS256 key (jose).
 */
export class FakeOidcProvider {
  readonly fake: FakeFetch;
  /** The discovery document served; tests edit it before the first call. */
  metadata: Record<string, unknown>;
  /** Answers the discovery request (default: {@link metadata} as JSON). */
  discovery: Answer;
  /** Answers the token endpoint (default: a code-exchange success with {@link idToken}). */
  token: Answer;
  /** Answers UserInfo (default: `{sub}` of {@link claims} for the Bearer {@link ACCESS_TOKEN}, else 401). */
  userinfo: Answer;
  /** Claims every ID token gets unless a test overrides them. */
  claims: JWTPayload;

  readonly discoveryIssuer: string;
  readonly key: SigningKey;

  private constructor(discoveryIssuer: string, key: SigningKey, issuer: string) {
    this.discoveryIssuer = discoveryIssuer;
    this.key = key;
    const base = discoveryIssuer.replace(/\/$/, "");
    this.metadata = {
      issuer,
      authorization_endpoint: `${base}/authorize`,
      token_endpoint: `${base}/token`,
      jwks_uri: `${base}/jwks`,
      userinfo_endpoint: `${base}/userinfo`,
      response_types_supported: ["code"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["RS256"],
    };
    this.claims = { iss: issuer, sub: "user-42", aud: CLIENT_ID, iat: T0, exp: T0 + 3600 };
    this.discovery = () => Response.json(this.metadata);
    this.token = async () => this.tokenResponse();
    this.userinfo = (call) =>
      call.headers.get("authorization") === `Bearer ${ACCESS_TOKEN}`
        ? Response.json({ sub: this.claims.sub })
        : new Response(null, { status: 401, headers: { "www-authenticate": 'Bearer error="invalid_token"' } });
    this.fake = new FakeFetch((call) => this.route(call));
  }

  /** A provider whose discovery document lives under `discoveryIssuer` and names `issuer`. */
  static async create(discoveryIssuer: string, issuer = discoveryIssuer): Promise<FakeOidcProvider> {
    return new FakeOidcProvider(discoveryIssuer, await rsaKey("key-1"), issuer);
  }

  get fetch(): typeof fetch {
    return this.fake.fetch;
  }

  /** An ID token with the default claims, `overrides` applied (an `undefined` value removes a claim). */
  idToken(overrides: JWTPayload = {}, key: SigningKey = this.key): Promise<string> {
    return signRs256(withoutUndefined({ ...this.claims, ...overrides }), key);
  }

  /** A token endpoint success: the access/refresh tokens, `expires_in` 3600 and an ID token. */
  async tokenResponse(overrides: Record<string, unknown> = {}, idClaims: JWTPayload = {}): Promise<Response> {
    return Response.json({
      access_token: ACCESS_TOKEN,
      token_type: "Bearer",
      expires_in: 3600,
      refresh_token: REFRESH_TOKEN,
      id_token: await this.idToken(idClaims),
      ...overrides,
    });
  }

  /** Calls to one endpoint. */
  callsTo(endpoint: "discovery" | "token" | "jwks" | "userinfo"): RecordedCall[] {
    return this.fake.calls.filter((call) => this.endpointOf(call.url) === endpoint);
  }

  private endpointOf(url: string): string {
    if (url === `${this.discoveryIssuer.replace(/\/$/, "")}/.well-known/openid-configuration`) return "discovery";
    if (url === this.metadata.token_endpoint) return "token";
    if (url === this.metadata.jwks_uri) return "jwks";
    if (url === this.metadata.userinfo_endpoint) return "userinfo";
    return "unknown";
  }

  private route(call: RecordedCall): Response | Promise<Response> {
    switch (this.endpointOf(call.url)) {
      case "discovery":
        return this.discovery(call);
      case "token":
        return this.token(call);
      case "jwks":
        return Response.json({ keys: [this.key.jwk] });
      case "userinfo":
        return this.userinfo(call);
      default:
        return new Response("not found", { status: 404 });
    }
  }
}

/** Claims without the ones set to `undefined` (how a test removes a default claim). */
export function withoutUndefined(claims: JWTPayload): JWTPayload {
  return Object.fromEntries(Object.entries(claims).filter(([, value]) => value !== undefined));
}

/** The callback URL the browser comes back with. */
export function callback(params: Record<string, string>): URL {
  const url = new URL(REDIRECT_URI);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url;
}

/**
 * Runs start() as the app would and puts its nonce into the ID token `idp` issues next; `finish`
 * comes back to the callback with `params` (by default `signedIn`: the code and the state).
 */
export async function startSignIn(
  idp: FakeOidcProvider,
  client: UpstreamClient,
  signedIn: Record<string, string> = { code: CODE, state: STATE },
) {
  const { url, pending } = await client.start({ redirectUri: REDIRECT_URI, state: STATE });
  idp.claims = { ...idp.claims, nonce: pending.nonce };
  const finish = (params: Record<string, string> = signedIn) =>
    client.finish({ callbackUrl: callback(params), redirectUri: REDIRECT_URI, state: STATE, pending });
  return { url, pending, finish };
}

/** A fetch answer that fails like a dropped connection. */
export const networkFailure: Answer = () => Promise.reject(new TypeError("fetch failed"));

/** A fetch answer that never comes, until the request's signal aborts it. */
export const hangUntilAborted: Answer = (call) =>
  new Promise((_resolve, reject) => {
    const signal = call.signal;
    if (signal === undefined) throw new Error("no signal: the request has no timeout");
    signal.addEventListener("abort", () => {
      reject(signal.reason as Error);
    });
  });

/** Asserts that no secret, code or token appears anywhere in an error a caller could log. */
export function expectNoSecrets(error: UpstreamError): void {
  const visible = `${error.message}\n${error.reason}\n${JSON.stringify(error.detail)}\n${String(error.stack)}`;
  for (const secret of SECRETS) expect(visible).not.toContain(secret);
}

/** Awaits a rejection and asserts it is an {@link UpstreamError} with this code and reason, and leaks nothing. */
export async function expectUpstreamError(
  promise: Promise<unknown>,
  code: UpstreamError["code"],
  reason: string,
): Promise<UpstreamError> {
  const error = await rejected(promise);
  expect(error).toBeInstanceOf(UpstreamError);
  if (!(error instanceof UpstreamError)) throw new Error("unreachable");
  expect({ code: error.code, reason: error.reason, message: error.message }).toEqual({
    code,
    reason,
    message: reason,
  });
  expectNoSecrets(error);
  return error;
}

/** The form body of a recorded request. */
export function formOf(call: RecordedCall | undefined): URLSearchParams {
  if (call === undefined) throw new Error("no such call");
  return new URLSearchParams(call.body);
}

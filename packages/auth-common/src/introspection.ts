import { z } from "zod";
import { readBoundedText } from "./bounded-body.ts";
import { AuthError } from "./errors.ts";
import { TRUSTED_URL_RULE, isTrustedServerUrl } from "./loopback.ts";
import { credentialSchema, type VerifiedCredential } from "@mcp-auth/identity";
import { parseScopeString } from "./scope-token.ts";
import { sha256Hex, type CredentialVerifier } from "./verifier.ts";

/** How long an `active: false` (or otherwise invalid) answer is remembered, seconds. */
export const INTROSPECTION_NEGATIVE_TTL_SECONDS = 5;
/** Largest introspection response read, in bytes; reading stops there (never buffered whole). */
export const MAX_INTROSPECTION_RESPONSE_BYTES = 64 * 1024;

/** How a server asks an authorization server whether a token is active (RFC 7662). */
export interface IntrospectionOptions {
  /** The introspection endpoint. */
  url: string | URL;
  /** This resource server's client credentials at the authorization server. */
  clientId: string;
  clientSecret: string;
  /** When set, the response's `aud` (string or array) must include it. */
  audience?: string;
  /**
   * When set, the response must carry an `iss` equal to it (a missing `iss` is refused: see
   * `identityFromResponse`). Unset: any or no `iss` is accepted from the pinned endpoint.
   */
  issuer?: string;
  /** Fetch for the endpoint (default: the global `fetch`). */
  fetch?: typeof fetch;
  /** Clock in milliseconds (default `Date.now`). */
  now?: () => number;
  /** How long an active answer is reused, seconds (default 30; never past the token's `exp`). */
  cacheSeconds?: number;
  /** Most answers remembered; the oldest goes first (default 1000). */
  maxCacheEntries?: number;
  /** Abort the request after this many seconds (default 5). */
  timeoutSeconds?: number;
  /** Local development only: allow a plain-http endpoint on a loopback host (default false). */
  allowInsecureLoopback?: boolean;
}

/** The fields of an RFC 7662 §2.2 response this verifier reads; others are ignored. */
const introspectionResponseSchema = z.looseObject({
  active: z.boolean(),
  scope: z.string().optional(),
  client_id: z.string().optional(),
  username: z.string().optional(),
  exp: z.number().optional(),
  sub: z.string().optional(),
  aud: z.union([z.string(), z.array(z.string())]).optional(),
  iss: z.string().optional(),
});
type IntrospectionResponse = z.infer<typeof introspectionResponseSchema>;

type CacheEntry = { until: number } & ({ identity: VerifiedCredential } | { message: string });

/** RFC 6749 §2.3.1: client id and secret are form-urlencoded before Basic encoding. */
function formEncode(value: string): string {
  return new URLSearchParams([["", value]]).toString().slice(1);
}

/** The `Authorization: Basic …` value for a client id and secret (RFC 6749 §2.3.1). */
export function clientSecretBasic(clientId: string, clientSecret: string): string {
  return `Basic ${btoa(`${formEncode(clientId)}:${formEncode(clientSecret)}`)}`;
}

/** Longest `Authorization: Basic` value read; a registered id and secret are far shorter. */
const MAX_BASIC_LENGTH = 1024;

/**
 * The client id and secret of an `Authorization: Basic …` header, the inverse of
 * {@link clientSecretBasic}; `undefined` when there is none or it is malformed.
 *
 * Validates: one header value of at most 1024 characters; the `Basic` scheme (case-insensitive);
 * base64 that decodes to UTF-8 `id:secret` with a `:`; each part form-urldecoded (RFC 6749
 * §2.3.1) and non-empty.
 */
export function readClientSecretBasic(request: Request): { clientId: string; clientSecret: string } | undefined {
  const header = request.headers.get("authorization");
  if (header === null || header.length > MAX_BASIC_LENGTH) return undefined;
  const match = /^Basic +([A-Za-z0-9+/]+=*)$/i.exec(header);
  if (match?.[1] === undefined) return undefined;
  let decoded: string;
  try {
    decoded = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(
      Uint8Array.from(atob(match[1]), (c) => c.charCodeAt(0)),
    );
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(":");
  if (colon <= 0) return undefined;
  const decode = (value: string) => new URLSearchParams(`v=${value}`).get("v") ?? "";
  const clientId = decode(decoded.slice(0, colon));
  const clientSecret = decode(decoded.slice(colon + 1));
  if (clientId === "" || clientSecret === "") return undefined;
  return { clientId, clientSecret };
}

function unavailable(cause: unknown): AuthError {
  return new AuthError("temporarily_unavailable", "The token introspection service is unavailable right now.", {
    cause,
    retryAfterSeconds: 30,
  });
}

function endpointUrl(value: string | URL, allowInsecureLoopback: boolean): URL {
  const url = new URL(value);
  if (!isTrustedServerUrl(url, allowInsecureLoopback)) throw new Error(`Introspection URL ${TRUSTED_URL_RULE}`);
  return url;
}

function nonNegative(value: number | undefined, fallback: number, name: string): number {
  const result = value ?? fallback;
  if (!Number.isFinite(result) || result < 0) throw new Error(`Introspection ${name} must be a non-negative number`);
  return result;
}

/** The identity an active introspection response proves, or the `invalid_token` reason. */
function identityFromResponse(
  body: IntrospectionResponse,
  options: IntrospectionOptions,
  nowSeconds: number,
): VerifiedCredential {
  if (!body.active) throw new AuthError("invalid_token", "The token is not active.");
  if (body.exp !== undefined && body.exp <= nowSeconds) throw new AuthError("invalid_token", "The token has expired.");
  if (options.audience !== undefined) {
    const audiences = body.aud === undefined ? [] : typeof body.aud === "string" ? [body.aud] : body.aud;
    if (!audiences.includes(options.audience)) {
      throw new AuthError("invalid_token", "The token is not meant for this server (audience).");
    }
  }
  // A pinned issuer requires `iss` in the answer. RFC 7662 §2.2 makes `iss` optional, but the
  // one case the pin exists for is an endpoint that answers for several issuers (tenants,
  // realms); an answer that does not say which issuer vouches could be any of them, so accepting
  // it would skip the check exactly where it matters. An AS that never sends `iss` is run with
  // the issuer unset (the identity then names the endpoint's origin as issuer).
  if (options.issuer !== undefined && body.iss !== options.issuer) {
    throw new AuthError(
      "invalid_token",
      body.iss === undefined
        ? "The token's introspection answer does not name its issuer."
        : "The token was issued by an issuer this server does not trust.",
    );
  }
  // A subject taken from `username` is marked as such: the same server may use `alice` as one
  // user's `sub` and another user's `username`, and they must never share a tenant.
  const subject =
    body.sub !== undefined && body.sub !== ""
      ? body.sub
      : body.username !== undefined && body.username !== ""
        ? `username:${body.username}`
        : undefined;
  if (subject === undefined) throw new AuthError("invalid_token", "The token has no subject.");
  let scopes: string[];
  try {
    scopes = parseScopeString(body.scope ?? "");
  } catch {
    throw new AuthError("invalid_token", "The token's scopes are not valid.");
  }
  const parsed = credentialSchema.safeParse({
    subject,
    ...(body.username === undefined || body.username === "" ? {} : { displayName: body.username }),
    clientId: body.client_id === undefined || body.client_id === "" ? subject : body.client_id,
    // Who vouched for the subject: the pinned issuer, else the one the server names, else the
    // server itself (its origin).
    issuer: options.issuer ?? body.iss ?? new URL(options.url).origin,
    scopes,
    method: "introspection",
    ...(body.exp === undefined ? {} : { expiresAt: Math.floor(body.exp) }),
  });
  if (!parsed.success) {
    throw new AuthError("invalid_token", "The token's introspection data do not form a usable identity.");
  }
  return parsed.data;
}

/**
 * Opaque bearer tokens checked with the authorization server (RFC 7662 token introspection).
 * Claims every bearer token, so it goes last in the verifier order.
 *
 * Validates: the server's answer (`POST`, form body, client_secret_basic, 5 s timeout, 200 JSON
 * only, at most {@link MAX_INTROSPECTION_RESPONSE_BYTES} read as a stream — anything else fails
 * closed with `temporarily_unavailable`); `active: true`; `exp` in the future when present; `aud`
 * includes `audience` when configured; `iss` present and equal to `issuer` when configured; a
 * subject (`sub`, else `username`); scopes are RFC 6749 scope tokens.
 * Does not validate: revocation within the cache window (an active answer is reused for up to
 * `cacheSeconds`, per isolate, keyed by the token's SHA-256 — never the token); scopes per
 * operation (the scope gate does). Invalid answers are remembered for
 * {@link INTROSPECTION_NEGATIVE_TTL_SECONDS} s so a bad token cannot hammer the server.
 */
export function introspectionVerifier(options: IntrospectionOptions): CredentialVerifier {
  const url = endpointUrl(options.url, options.allowInsecureLoopback ?? false);
  const fetchImpl = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const cacheSeconds = nonNegative(options.cacheSeconds, 30, "cacheSeconds");
  const maxEntries = nonNegative(options.maxCacheEntries, 1000, "maxCacheEntries");
  const timeoutMs = Math.ceil(nonNegative(options.timeoutSeconds, 5, "timeoutSeconds") * 1000);
  const authorization = clientSecretBasic(options.clientId, options.clientSecret);
  const cache = new Map<string, CacheEntry>();

  function remember(key: string, entry: CacheEntry): void {
    if (entry.until <= now() || maxEntries < 1) return;
    cache.delete(key);
    cache.set(key, entry);
    for (const oldest of cache.keys()) {
      if (cache.size <= maxEntries) break;
      cache.delete(oldest);
    }
  }

  async function introspect(token: string): Promise<IntrospectionResponse> {
    let response: Response;
    try {
      response = await fetchImpl(url, {
        method: "POST",
        headers: {
          Authorization: authorization,
          "Content-Type": "application/x-www-form-urlencoded",
          Accept: "application/json",
        },
        body: new URLSearchParams({ token, token_type_hint: "access_token" }).toString(),
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw unavailable(error instanceof Error ? error.name : "unknown");
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      throw unavailable({ status: response.status });
    }
    let json: unknown;
    try {
      json = JSON.parse(await readBoundedText(response, MAX_INTROSPECTION_RESPONSE_BYTES));
    } catch {
      throw unavailable("unreadable response");
    }
    const parsed = introspectionResponseSchema.safeParse(json);
    if (!parsed.success) throw unavailable("unexpected response shape");
    return parsed.data;
  }

  return {
    method: "introspection",
    reads: "bearer",
    async verify({ bearer }) {
      if (bearer === undefined) return undefined;
      const key = await sha256Hex(bearer);
      const cached = cache.get(key);
      if (cached !== undefined) {
        if (cached.until > now()) {
          if ("identity" in cached) return cached.identity;
          throw new AuthError("invalid_token", cached.message);
        }
        cache.delete(key);
      }
      const body = await introspect(bearer);
      const nowMs = now();
      try {
        const identity = identityFromResponse(body, options, nowMs / 1000);
        const ttlMs = Math.min(
          cacheSeconds * 1000,
          identity.expiresAt === undefined ? Infinity : identity.expiresAt * 1000 - nowMs,
        );
        remember(key, { until: nowMs + ttlMs, identity });
        return identity;
      } catch (error) {
        if (error instanceof AuthError) {
          remember(key, { until: nowMs + INTROSPECTION_NEGATIVE_TTL_SECONDS * 1000, message: error.message });
        }
        throw error;
      }
    },
  };
}

import { ANONYMOUS_SUBJECT, credentialSchema } from "@mcp-auth/identity";
import * as oauth from "oauth4webapi";
import { upstreamTokensSchema, type UpstreamTokens } from "../grant.ts";
import { isLoopbackHostname } from "../loopback.ts";
import { isScopeToken } from "../scope-token.ts";
import { UpstreamError } from "./errors.ts";
import { upstreamFetch, type UpstreamFetch } from "./transport.ts";
import type { UpstreamClient, UpstreamConfig, UpstreamKind, UpstreamStart } from "./types.ts";

/** Default per-call timeout, seconds. */
export const DEFAULT_UPSTREAM_TIMEOUT_SECONDS = 10;

/** What every preset needs, checked. */
export interface CommonSettings {
  clientId: string;
  clientSecret: string;
  send: UpstreamFetch;
  /** Seconds since the epoch. */
  now: () => number;
  extraScopes: readonly string[];
}

/** Which config fields belong to which preset; a field set for another preset is a mistake. */
const PRESET_FIELDS: Record<string, UpstreamKind> = {
  issuer: "oidc",
  googleHostedDomain: "google",
  entraTenant: "entra",
  entraAllowedTenants: "entra",
  githubBaseUrl: "github",
  githubApiUrl: "github",
};

function fail(message: string): never {
  throw new TypeError(`Upstream config: ${message}`);
}

/** Checks what all presets share; throws a TypeError naming the field (never its value). */
export function commonSettings(config: UpstreamConfig): CommonSettings {
  for (const [field, kind] of Object.entries(PRESET_FIELDS)) {
    if (config[field as keyof UpstreamConfig] !== undefined && config.kind !== kind) {
      fail(`${field} applies to the ${kind} preset only, not ${config.kind}`);
    }
  }
  if (typeof config.clientId !== "string" || config.clientId === "" || config.clientId.length > 512) {
    fail("clientId must be a non-empty string");
  }
  if (typeof config.clientSecret !== "string" || config.clientSecret === "") {
    fail("clientSecret must be a non-empty string");
  }
  for (const scope of config.scopes ?? []) {
    if (typeof scope !== "string" || !isScopeToken(scope)) fail("scopes must be RFC 6749 scope tokens");
  }
  const timeoutSeconds = config.timeoutSeconds ?? DEFAULT_UPSTREAM_TIMEOUT_SECONDS;
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0 || timeoutSeconds > 60) {
    fail("timeoutSeconds must be a number of seconds in (0, 60]");
  }
  const userAgent = config.userAgent ?? "mcp-auth-upstream";
  if (!/^[\x21-\x7E][\x20-\x7E]{0,127}$/.test(userAgent)) fail("userAgent must be printable ASCII");
  const fetchImpl = config.fetch ?? ((input, init) => fetch(input, init));
  return {
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    send: upstreamFetch(fetchImpl, Math.ceil(timeoutSeconds * 1000), userAgent),
    now: config.now ?? (() => Math.floor(Date.now() / 1000)),
    extraScopes: config.scopes ?? [],
  };
}

/**
 * An upstream URL we may talk to: https, or plain http on a loopback host when
 * `allowInsecureLoopback` is set (local development). No credentials, query or fragment.
 * Returns the URL and whether oauth4webapi must be told to allow plain http for it.
 */
export function upstreamUrl(
  value: string,
  field: string,
  allowInsecureLoopback: boolean | undefined,
): { url: URL; insecure: boolean } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail(`${field} must be an absolute URL`);
  }
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") {
    fail(`${field} must not carry credentials, a query or a fragment`);
  }
  if (url.protocol === "https:") return { url, insecure: false };
  if (url.protocol === "http:" && allowInsecureLoopback === true && isLoopbackHostname(url.hostname)) {
    return { url, insecure: true };
  }
  return fail(
    `${field} must be https (plain http only on a loopback host, with allowInsecureLoopback for local development)`,
  );
}

/** Preset scopes plus extra ones, each once, in order. */
export function scopeString(preset: readonly string[], extra: readonly string[]): string {
  return [...new Set([...preset, ...extra])].join(" ");
}

/** Expiry as epoch seconds from an `expires_in`, when upstream sent one. */
export function expiresAt(now: number, expiresIn: number | undefined): number | undefined {
  return expiresIn === undefined ? undefined : Math.floor(now + expiresIn);
}

/** Upstream tokens, checked against the schema the grant stores them with (sizes, expiry). */
export function checkedTokens(tokens: UpstreamTokens): UpstreamTokens {
  const parsed = upstreamTokensSchema.safeParse(tokens);
  if (!parsed.success) {
    throw new UpstreamError("invalid_response", "The identity provider's tokens are too long or malformed.");
  }
  return parsed.data;
}

/** A subject the identity schema accepts, or `invalid_response`. */
export function checkedSubject(subject: string): string {
  if (!credentialSchema.shape.subject.safeParse(subject).success || subject === ANONYMOUS_SUBJECT) {
    throw new UpstreamError("invalid_response", "The identity provider named a subject this server cannot use.");
  }
  return subject;
}

/** A display name the identity schema accepts, else nothing (a name is a courtesy, not identity). */
export function checkedDisplayName(value: unknown): string | undefined {
  if (typeof value !== "string" || value.trim() === "") return undefined;
  return credentialSchema.shape.displayName.safeParse(value).success ? value : undefined;
}

/**
 * The options every oauth4webapi call gets: our bounded, timed fetch, and plain http allowed only
 * when `insecure` (a loopback issuer or base with `allowInsecureLoopback`, local development).
 */
export function requestOptions(send: UpstreamFetch, insecure: boolean) {
  return {
    [oauth.customFetch]: send,
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- deprecated to stand out; set only for a loopback host in local development (see upstreamUrl)
    ...(insecure ? { [oauth.allowInsecureRequests]: true } : {}),
  };
}

/**
 * The authorization URL every preset sends the browser to: the endpoint with the preset's own
 * parameters, then the ones no preset may change — the code flow, this client, the exact
 * redirect, the app's `state`, and PKCE S256.
 */
export async function authorizationRequestUrl(
  endpoint: string,
  fields: { clientId: string; redirectUri: string; scope: string; state: string; codeVerifier: string },
  presetParams: Readonly<Record<string, string>> = {},
): Promise<URL> {
  const url = new URL(endpoint);
  const params: Record<string, string> = {
    ...presetParams,
    response_type: "code",
    client_id: fields.clientId,
    redirect_uri: fields.redirectUri,
    scope: fields.scope,
    state: fields.state,
    code_challenge: await oauth.calculatePKCECodeChallenge(fields.codeVerifier),
    code_challenge_method: "S256",
  };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url;
}

/** `start()` for a client that has `prepare()` and `authorizationUrl()`: the same for every preset. */
export function withStart(client: Omit<UpstreamClient, "start">): UpstreamClient {
  return {
    ...client,
    async start({ redirectUri, state }): Promise<UpstreamStart> {
      const pending = client.prepare();
      return { url: await client.authorizationUrl({ redirectUri, state, pending }), pending };
    },
  };
}

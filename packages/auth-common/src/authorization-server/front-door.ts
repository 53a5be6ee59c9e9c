// What the authorization server checks of a request before the library or a page reads it: a
// bounded body on every route, and every client-supplied value that becomes part of a storage
// key short enough to be one. Both OAuth apps run it in front of `OAuthProvider` (server.ts).
import { BodyTooLargeError, readBoundedText, withBoundedBody } from "../bounded-body.ts";
import { consoleLog, refusal } from "../log.ts";
import { messagePage } from "../pages/message-page.ts";
import { MAX_REGISTRATION_BYTES, metadataProblem } from "./registration.ts";

/** Largest /token request read: a code or refresh token, a verifier, a client assertion. */
export const MAX_TOKEN_REQUEST_BYTES = 16 * 1024;
/** Largest body any page of ours reads (a passkey's attestation is the biggest). */
export const MAX_PAGE_BODY_BYTES = 32 * 1024;
/** Longest `client_id` accepted: a generated id is 16 characters, a metadata document's URL rarely 100. */
export const MAX_CLIENT_ID_LENGTH = 256;
/** Workers KV's key limit (UTF-8 bytes); a longer key is an exception, not a miss. */
const KV_KEY_BYTES = 512;
/** The library's token id: a SHA-256 in hex, the last part of a token's key. */
const TOKEN_ID_LENGTH = 64;

const utf8Length = (value: string) => new TextEncoder().encode(value).byteLength;

/** The body limit for a path: registration and /token have their own, every page the same. */
export function bodyLimit(pathname: string): number {
  if (pathname === "/register") return MAX_REGISTRATION_BYTES;
  if (pathname === "/token") return MAX_TOKEN_REQUEST_BYTES;
  return MAX_PAGE_BODY_BYTES;
}

/** An OAuth JSON error (RFC 6749 §5.2), never cached. */
export function oauthProblem(status: number, error: string, description: string, headers: HeadersInit = {}): Response {
  return Response.json(
    { error, error_description: description },
    { status, headers: { "Cache-Control": "no-store", ...Object.fromEntries(new Headers(headers)) } },
  );
}

/**
 * The request with its body read, at most {@link bodyLimit} bytes, whether or not it declared a
 * `Content-Length` (or declared a false one); or the 413. Every route but /mcp (mcp-core reads its
 * own body, bounded) goes through here, so no page, and not the library's /token (it reads the
 * whole form) nor /register, ever reads an unbounded body.
 */
export async function boundedRequest(request: Request, api: boolean): Promise<Request | Response> {
  const limit = bodyLimit(new URL(request.url).pathname);
  try {
    return await withBoundedBody(request, limit);
  } catch (error) {
    if (!(error instanceof BodyTooLargeError)) throw error;
    consoleLog("warn", refusal(request, 413, "body_too_large"));
    const description = `The request body is limited to ${limit} bytes.`;
    const json = api || (request.headers.get("content-type") ?? "").toLowerCase().startsWith("application/json");
    return json ? oauthProblem(413, "invalid_request", description) : messagePage(413, "Too large", description);
  }
}

/**
 * Whether a token or code the library issued could have this value: it is `userId:grantId:secret`
 * and stored under `token:userId:grantId:<64 hex>`, so one whose key would pass KV's 512 bytes was
 * never issued. Values of another shape are left to the library (it refuses them without storage).
 */
export function fitsTokenKey(value: string): boolean {
  const parts = value.split(":");
  if (parts.length !== 3) return true;
  const [userId = "", grantId = ""] = parts;
  return utf8Length(`token:${userId}:${grantId}:`) + TOKEN_ID_LENGTH <= KV_KEY_BYTES;
}

/** Whether a client id may be looked up: short enough to be a key (`client:<id>`) or a document URL. */
export function fitsClientId(value: string): boolean {
  return value.length <= MAX_CLIENT_ID_LENGTH && utf8Length(`client:${value}`) <= KV_KEY_BYTES;
}

/** The `iss` of a client assertion (RFC 7523 §3), which the library takes as the client id when none is sent. */
function assertionIssuer(assertion: string): string | undefined {
  const payload = assertion.split(".")[1];
  if (payload === undefined) return undefined;
  try {
    const claims: unknown = JSON.parse(atob(payload.replaceAll("-", "+").replaceAll("_", "/")));
    const iss = typeof claims === "object" && claims !== null ? (claims as { iss?: unknown }).iss : undefined;
    return typeof iss === "string" ? iss : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Every client id a /token request names: the form's, Basic credentials' user (RFC 6749 §2.3.1,
 * form-decoded), a client assertion's `iss`.
 */
function tokenClientIds(form: URLSearchParams, authorization: string | null): string[] {
  const ids = form.getAll("client_id");
  for (const assertion of form.getAll("client_assertion")) {
    const iss = assertionIssuer(assertion);
    if (iss !== undefined) ids.push(iss);
  }
  const basic = /^Basic[\t ]+([A-Za-z0-9+/=]+)$/i.exec(authorization ?? "");
  if (basic?.[1] !== undefined) {
    try {
      const user = atob(basic[1]).split(":")[0] ?? "";
      ids.push(decodeURIComponent(user.replaceAll("+", " ")));
    } catch {
      // Malformed Basic credentials: the library answers them (invalid_client).
    }
  }
  return ids;
}

/**
 * The form of a POST /token (already bounded), read from a clone so the library reads it again;
 * undefined when it is not a form post (the library refuses those itself).
 */
export async function tokenForm(request: Request): Promise<URLSearchParams | undefined> {
  if (request.method !== "POST") return undefined;
  const type = (request.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") return undefined;
  // Bytes, not .text(): workerd warns on .text() of a form body.
  return new URLSearchParams(new TextDecoder().decode(await request.clone().arrayBuffer()));
}

/**
 * /token (and revocation, which the library serves there): identifiers checked before the
 * library looks them up, on the already bounded request.
 *
 * Validates: a client id (form, Basic or a client assertion's `iss`) of at most 256 characters → 401 `invalid_client`; a
 * `code` or `refresh_token` whose storage key would pass KV's limit → 400 `invalid_grant`; such a
 * `token` to revoke → 200, as for any unknown token (RFC 7009 §2.2). The client's metadata
 * document, when the id is a URL ({@link clientMetadataRefusal}) → 401 `invalid_client`.
 * Does not validate: anything else (the library does, including repeated parameters).
 */
export async function tokenRequestRefusal(request: Request, fetcher: typeof fetch): Promise<Response | undefined> {
  const form = await tokenForm(request);
  if (form === undefined) return undefined;
  // RFC 6749 §5.2: a client that tried Basic authentication gets the Basic challenge.
  const authenticate: Record<string, string> = request.headers.has("authorization")
    ? { "WWW-Authenticate": 'Basic realm="token"' }
    : {};
  const ids = tokenClientIds(form, request.headers.get("authorization"));
  for (const id of ids) {
    if (!fitsClientId(id)) {
      consoleLog("warn", refusal(request, 401, "client_id_too_long"));
      return oauthProblem(
        401,
        "invalid_client",
        `client_id is longer than ${MAX_CLIENT_ID_LENGTH} characters; no client has such an id.`,
        authenticate,
      );
    }
  }
  for (const name of ["code", "refresh_token"] as const) {
    if (form.getAll(name).every(fitsTokenKey)) continue;
    consoleLog("warn", refusal(request, 400, `${name}_too_long`));
    return oauthProblem(400, "invalid_grant", `${name} is longer than any this server issues.`);
  }
  if (!form.getAll("token").every(fitsTokenKey)) return new Response(null, { status: 200 });
  for (const id of new Set(ids)) {
    const problem = await clientMetadataRefusal(id, fetcher);
    if (problem === undefined) continue;
    consoleLog("warn", refusal(request, 401, "client_metadata_refused"));
    return oauthProblem(401, "invalid_client", problem, authenticate);
  }
  return undefined;
}

/**
 * GET /authorize, before the library parses it: a repeated `client_id` or `redirect_uri`, or a
 * client id too long to be one, renders a 400 page and never redirects (RFC 6749 §4.1.2.1: the
 * client and redirect URI are not established); so does a metadata document the policy refuses.
 * Repeated other parameters are refused by {@link repeatedParameterRedirect} once the redirect
 * URI is validated.
 */
export async function authorizeQueryRefusal(request: Request, fetcher: typeof fetch): Promise<Response | undefined> {
  if (request.method !== "GET") return undefined;
  const query = new URL(request.url).searchParams;
  for (const name of ["client_id", "redirect_uri"]) {
    if (query.getAll(name).length > 1) {
      consoleLog("warn", refusal(request, 400, "authorize_repeated_parameter"));
      return messagePage(
        400,
        "This sign-in cannot continue",
        `The request names ${name} more than once (RFC 6749 §3.1); the app that sent it is broken.`,
      );
    }
  }
  const clientId = query.get("client_id");
  if (clientId === null) return undefined;
  if (!fitsClientId(clientId)) {
    consoleLog("warn", refusal(request, 400, "client_id_too_long"));
    return messagePage(
      400,
      "This sign-in cannot continue",
      `The client_id is longer than ${MAX_CLIENT_ID_LENGTH} characters; no app has such an id.`,
    );
  }
  const problem = await clientMetadataRefusal(clientId, fetcher);
  if (problem === undefined) return undefined;
  consoleLog("warn", refusal(request, 400, "client_metadata_refused"));
  return messagePage(400, "This app could not be verified", problem);
}

/** The library's test for a client id it resolves as a metadata document: an https URL with a path. */
function isMetadataDocumentUrl(clientId: string): boolean {
  if (!/^https:\/\/[^/?#]*\//i.test(clientId)) return false;
  try {
    return new URL(clientId).protocol === "https:";
  } catch {
    return false;
  }
}

/** The library's own size limit for a metadata document (5 KiB). */
const MAX_DOCUMENT_BYTES = 5 * 1024;
/** How long a document seen served directly is not fetched again by this isolate. */
const CLEAN_FOR_MS = 60_000;
const cleanUntil = new Map<string, number>();

/**
 * Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document §4): the library
 * (1.2.3) fetches the document with the platform's default, following redirects, and has no hook
 * to change that; this fetches it first, without following, and says why it is refused.
 *
 * Validates: the document is served at the client id URL itself (a 3xx, to the same origin,
 * another or plain http, is refused: the consent page would name the client id's domain as the
 * verified publisher of a document served elsewhere); its redirect URIs and displayed fields
 * pass the registration policy ({@link metadataProblem}).
 * Does not validate: everything else (the library fetches the document again and validates it);
 * a non-URL client id (undefined). A document that cannot be fetched or parsed here is left to
 * the library, which refuses it (one that cannot be fetched at all is refused here: the library's
 * fetch would follow redirects this one did not see). A document seen clean is not fetched again for 60 s by this
 * isolate, so a document that starts redirecting within that time is caught by the next check.
 */
export async function clientMetadataRefusal(clientId: string, fetcher: typeof fetch): Promise<string | undefined> {
  if (!isMetadataDocumentUrl(clientId)) return undefined;
  const now = Date.now();
  if ((cleanUntil.get(clientId) ?? 0) > now) return undefined;
  let response: Response;
  try {
    response = await fetcher(clientId, {
      redirect: "manual",
      headers: { Accept: "application/json" },
      signal: AbortSignal.timeout(10_000),
    });
  } catch {
    // Fail closed: the library's own fetch would follow whatever redirect this one could not see.
    return "Its client metadata document could not be fetched.";
  }
  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel().catch(() => undefined);
    return "Its client metadata document is served through a redirect; it must be served at its client_id URL itself.";
  }
  let document: unknown;
  try {
    document = response.ok ? JSON.parse(await readBoundedText(response, MAX_DOCUMENT_BYTES)) : undefined;
  } catch {
    document = undefined;
  }
  if (!response.bodyUsed) await response.body?.cancel().catch(() => undefined);
  if (typeof document !== "object" || document === null || Array.isArray(document)) return undefined;
  const problem = metadataProblem(document as Record<string, unknown>);
  if (problem !== undefined) return `Its client metadata document is refused: ${problem.description}`;
  if (cleanUntil.size > 1000) cleanUntil.clear();
  cleanUntil.set(clientId, now + CLEAN_FOR_MS);
  return undefined;
}

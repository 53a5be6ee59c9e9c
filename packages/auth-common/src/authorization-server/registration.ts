import type {
  ClientRegistrationCallbackOptions,
  ClientRegistrationCallbackResult,
} from "@cloudflare/workers-oauth-provider";
import { isLoopbackHostname } from "../loopback.ts";

/** Largest registration request read: real client metadata is well under 4 KiB. */
export const MAX_REGISTRATION_BYTES = 16 * 1024;

/** Longest client name shown on the consent page. */
const MAX_NAME_LENGTH = 100;

/** Markup or control characters: a name or URI that would only ever be an attack on the page. */
const UNSAFE_TEXT = /[<>\p{Cc}]/u;

/** Metadata fields a consent page or a person may see. */
const DISPLAYED_FIELDS = ["client_name", "client_uri", "logo_uri", "policy_uri", "tos_uri"] as const;

/**
 * Refuses a registration body before anything reads it: it must say how long it is, and be
 * small (413); a request without `Content-Length` (chunked) gets 411.
 */
export function registrationTooLarge(request: Request): Response | undefined {
  const header = request.headers.get("content-length");
  const problem = (status: number, description: string) =>
    Response.json(
      { error: "invalid_client_metadata", error_description: description },
      { status, headers: { "Cache-Control": "no-store" } },
    );
  if (header === null) return problem(411, "Send client metadata with a Content-Length header.");
  if (!/^\d+$/.test(header) || Number(header) > MAX_REGISTRATION_BYTES) {
    return problem(413, `Client metadata is limited to ${MAX_REGISTRATION_BYTES} bytes.`);
  }
  return undefined;
}

function refuse(description: string): ClientRegistrationCallbackResult {
  return { code: "invalid_client_metadata", description, status: 400 };
}

/** A redirect URI a browser may be sent to with a code: https, or http on a loopback host. */
function isSafeRedirect(value: unknown): boolean {
  if (typeof value !== "string" || UNSAFE_TEXT.test(value)) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.username !== "" || url.password !== "" || url.hash !== "") return false;
  return url.protocol === "https:" || (url.protocol === "http:" && isLoopbackHostname(url.hostname));
}

/**
 * Dynamic registration policy on top of the library's own checks (it already refuses
 * `javascript:` and friends): every redirect URI is https or loopback http, and nothing a
 * person will read carries markup or control characters.
 */
export function registrationPolicy({
  clientMetadata,
}: ClientRegistrationCallbackOptions): ClientRegistrationCallbackResult | undefined {
  const redirects = clientMetadata.redirect_uris;
  if (!Array.isArray(redirects) || redirects.length === 0 || redirects.length > 10) {
    return refuse("redirect_uris must list 1 to 10 URIs.");
  }
  if (!redirects.every(isSafeRedirect)) {
    return refuse("Every redirect URI must be https, or http on localhost, 127.0.0.1 or [::1], without a fragment.");
  }
  for (const field of DISPLAYED_FIELDS) {
    const value = clientMetadata[field];
    if (value === undefined) continue;
    if (typeof value !== "string" || UNSAFE_TEXT.test(value)) return refuse(`${field} must be plain text.`);
    if (field === "client_name" && value.length > MAX_NAME_LENGTH) {
      return refuse(`client_name is limited to ${MAX_NAME_LENGTH} characters.`);
    }
  }
  return undefined;
}

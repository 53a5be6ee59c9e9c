import type {
  ClientRegistrationCallbackOptions,
  ClientRegistrationCallbackResult,
} from "@cloudflare/workers-oauth-provider";
import { isLoopbackHostname } from "../loopback.ts";

/** Largest registration request read: real client metadata is well under 4 KiB. */
export const MAX_REGISTRATION_BYTES = 16 * 1024;

/** Longest client name shown on the consent page. */
const MAX_NAME_LENGTH = 100;

/**
 * Markup, control and invisible format characters (\p{Cf}: the bidi overrides and isolates
 * U+202A..U+202E and U+2066..U+2069, U+061C, the zero-width U+200B..U+200F…): in a name or URI
 * a person reads they only ever disguise it (a right-to-left override turns `Notes‮exe.fdp` into
 * `Notes pdf.exe`). Emoji joined by U+200D are refused too: the price of one simple rule.
 */
export const UNSAFE_TEXT = /[<>\p{Cc}\p{Cf}]/u;

/**
 * RFC 3986 §2: the characters a URI may contain, `%` only as a percent-encoding. The WHATWG
 * parser `new URL()` accepts far more (spaces, `"`, `{`, non-ASCII) and quietly encodes it, so
 * a registered "URI" would not be the one a client sends back at /authorize.
 */
const URI_CHARACTERS = /^(?:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})+$/;

/** Metadata fields a consent page or a person may see. */
const DISPLAYED_FIELDS = ["client_name", "client_uri", "logo_uri", "policy_uri", "tos_uri"] as const;

/** Why a client's metadata is refused, as RFC 7591 §3.2.2 names it. */
export interface MetadataProblem {
  code: "invalid_redirect_uri" | "invalid_client_metadata";
  description: string;
}

/**
 * A redirect URI a browser may be sent to with a code: an RFC 3986 URI, https, or http on a
 * loopback host, without userinfo or a fragment.
 */
function isSafeRedirect(value: unknown): boolean {
  if (typeof value !== "string" || !URI_CHARACTERS.test(value)) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.username !== "" || url.password !== "" || url.hash !== "" || value.includes("#")) return false;
  return url.protocol === "https:" || (url.protocol === "http:" && isLoopbackHostname(url.hostname));
}

/**
 * The policy for a client's metadata, from dynamic registration or a Client ID Metadata Document:
 * what it refuses, or `undefined`.
 *
 * Validates: 1 to 10 redirect URIs, each an RFC 3986 URI (§2 characters), https or loopback http
 * (RFC 8252 §7.3), without userinfo or a fragment (RFC 6749 §3.1.2); the displayed fields
 * (name, URIs) are strings without markup, control or invisible format characters; the name is
 * at most 100 characters.
 * Does not validate: what the library checks itself (grant and response types, auth methods,
 * `javascript:` and friends), or that the URIs resolve.
 */
export function metadataProblem(metadata: Record<string, unknown>): MetadataProblem | undefined {
  const redirects = metadata["redirect_uris"];
  if (!Array.isArray(redirects) || redirects.length === 0 || redirects.length > 10) {
    return { code: "invalid_redirect_uri", description: "redirect_uris must list 1 to 10 URIs." };
  }
  if (!redirects.every(isSafeRedirect)) {
    return {
      code: "invalid_redirect_uri",
      description:
        "Every redirect URI must be an RFC 3986 URI: https, or http on localhost, 127.0.0.1 or [::1], without a fragment.",
    };
  }
  for (const field of DISPLAYED_FIELDS) {
    const value = metadata[field];
    if (value === undefined) continue;
    if (typeof value !== "string" || UNSAFE_TEXT.test(value)) {
      return { code: "invalid_client_metadata", description: `${field} must be plain text.` };
    }
    if (field === "client_name" && value.length > MAX_NAME_LENGTH) {
      return {
        code: "invalid_client_metadata",
        description: `client_name is limited to ${MAX_NAME_LENGTH} characters.`,
      };
    }
  }
  return undefined;
}

/**
 * Dynamic registration policy on top of the library's own checks (it already refuses
 * `javascript:` and friends): {@link metadataProblem}, answered 400 (RFC 7591 §3.2.2).
 */
export function registrationPolicy({
  clientMetadata,
}: ClientRegistrationCallbackOptions): ClientRegistrationCallbackResult | undefined {
  const problem = metadataProblem(clientMetadata);
  return problem === undefined ? undefined : { ...problem, status: 400 };
}

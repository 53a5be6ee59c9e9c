/**
 * The one definition of "loopback" in the repo: the hostnames `wrangler dev`, the dev IdP and
 * the tests' local peers use. Only these may ever be reached over plain HTTP, and only when an
 * app opts in with the loudly named `ALLOW_INSECURE_HTTP_LOOPBACK=true` (local development).
 */
export const LOOPBACK_HOSTNAMES: readonly string[] = ["127.0.0.1", "localhost", "[::1]"];

/** True for a loopback hostname as `URL.hostname` spells it (IPv6 in brackets). */
export function isLoopbackHostname(hostname: string): boolean {
  return LOOPBACK_HOSTNAMES.includes(hostname.toLowerCase());
}

/**
 * Whether a server may fetch or trust `url` (a JWKS, an introspection endpoint, an Access team,
 * an authorization server).
 *
 * Validates: `https:`; or `http:` on a loopback host when `allowInsecureLoopback` is set; no
 * credentials in the URL.
 * Does not validate: that the host resolves, or anything about the path.
 */
export function isTrustedServerUrl(url: URL, allowInsecureLoopback: boolean): boolean {
  if (url.username !== "" || url.password !== "") return false;
  if (url.protocol === "https:") return true;
  return allowInsecureLoopback && url.protocol === "http:" && isLoopbackHostname(url.hostname);
}

/** What a verifier says when a URL fails {@link isTrustedServerUrl}. */
export const TRUSTED_URL_RULE =
  "must be https without credentials (plain http only on a loopback host, with ALLOW_INSECURE_HTTP_LOOPBACK=true)";

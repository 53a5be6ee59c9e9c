// A small cookie jar for headless drivers of login and consent pages: what a browser would keep
// between requests, per origin, without a browser.

/** One stored cookie. */
export interface StoredCookie {
  name: string;
  value: string;
  path: string;
  /** Epoch milliseconds after which the cookie is gone; `undefined` for a session cookie. */
  expiresAt: number | undefined;
  secure: boolean;
  httpOnly: boolean;
  sameSite: string | undefined;
}

/** `fetch`'s shape, so a jar can wrap the global one or a test double of it. */
export type Fetch = (input: string | URL, init?: RequestInit) => Promise<Response>;

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Whether `Secure` cookies may be stored for and sent to this origin: https, or loopback http as browsers allow. */
function secureContext(url: URL): boolean {
  return url.protocol === "https:" || LOOPBACK_HOSTS.has(url.hostname) || url.hostname.startsWith("127.");
}

/** RFC 6265 §5.1.4: the directory of the request path, `/` when there is none. */
function defaultPath(url: URL): string {
  const path = url.pathname;
  if (!path.startsWith("/")) return "/";
  const last = path.lastIndexOf("/");
  return last <= 0 ? "/" : path.slice(0, last);
}

/** RFC 6265 §5.1.4 path-match. */
function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith("/") || requestPath.charAt(cookiePath.length) === "/";
}

/**
 * Cookies per origin (scheme, host and port), as a headless client of our own pages needs them:
 * stores `Set-Cookie` from responses and sends the matching ones on later requests to that origin.
 *
 * Honours: Path (default-path and path-match, RFC 6265 §5.1.4), Max-Age (wins over Expires;
 * ≤ 0 deletes), Expires, Secure (only on https or loopback http, as browsers treat loopback as
 * secure), the `__Secure-` and `__Host-` prefixes (RFC 6265bis §4.1.3: Secure; for `__Host-` also
 * no Domain and Path=/), replacement by name + path.
 * Does not: share cookies between origins — a `Domain` attribute does not widen a cookie beyond
 * the origin that set it (a cookie for `127.0.0.1:8790` is never sent to `127.0.0.1:8791`, unlike a
 * browser, which ignores ports); SameSite (every request the driver makes is first-party);
 * public-suffix checks.
 */
export class CookieJar {
  readonly #byOrigin = new Map<string, StoredCookie[]>();
  readonly #now: () => number;

  /** @param now the clock, in epoch milliseconds (injectable for expiry tests). */
  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  /**
   * Stores one `Set-Cookie` value received from `url`. Returns whether it was accepted (a cookie
   * that breaks a prefix rule or is Secure on a plain-http, non-loopback origin is ignored).
   */
  setCookie(url: string | URL, header: string): boolean {
    const target = new URL(url);
    const [pair = "", ...attributes] = header.split(";");
    const equals = pair.indexOf("=");
    if (equals <= 0) return false; // RFC 6265 §5.2: no name → ignore
    const name = pair.slice(0, equals).trim();
    const value = pair
      .slice(equals + 1)
      .trim()
      .replace(/^"(.*)"$/, "$1");
    if (name === "") return false;
    const cookie: StoredCookie = {
      name,
      value,
      path: defaultPath(target),
      expiresAt: undefined,
      secure: false,
      httpOnly: false,
      sameSite: undefined,
    };
    let maxAge: number | undefined;
    let expires: number | undefined;
    let domain = false;
    for (const attribute of attributes) {
      const at = attribute.indexOf("=");
      const key = (at < 0 ? attribute : attribute.slice(0, at)).trim().toLowerCase();
      const raw = at < 0 ? "" : attribute.slice(at + 1).trim();
      if (key === "path") cookie.path = raw.startsWith("/") ? raw : defaultPath(target);
      else if (key === "max-age" && /^-?\d+$/.test(raw)) maxAge = Number(raw);
      else if (key === "expires") {
        const parsed = Date.parse(raw);
        if (!Number.isNaN(parsed)) expires = parsed;
      } else if (key === "secure") cookie.secure = true;
      else if (key === "httponly") cookie.httpOnly = true;
      else if (key === "samesite") cookie.sameSite = raw;
      else if (key === "domain" && raw !== "") domain = true;
    }
    if (cookie.secure && !secureContext(target)) return false;
    if (name.startsWith("__Secure-") && !cookie.secure) return false;
    if (name.startsWith("__Host-") && (!cookie.secure || domain || cookie.path !== "/")) return false;
    if (maxAge !== undefined) cookie.expiresAt = maxAge <= 0 ? 0 : this.#now() + maxAge * 1000;
    else if (expires !== undefined) cookie.expiresAt = expires;

    const jar = this.#byOrigin.get(target.origin) ?? [];
    const kept = jar.filter((other) => !(other.name === name && other.path === cookie.path));
    if (cookie.expiresAt === undefined || cookie.expiresAt > this.#now()) kept.push(cookie);
    this.#byOrigin.set(target.origin, kept);
    return true;
  }

  /** Stores every `Set-Cookie` of a response to a request for `url`. */
  store(url: string | URL, response: Response): void {
    for (const header of response.headers.getSetCookie()) this.setCookie(url, header);
  }

  /** The cookies a request to `url` carries, longest path first (RFC 6265 §5.4). */
  cookiesFor(url: string | URL): StoredCookie[] {
    const target = new URL(url);
    const now = this.#now();
    const jar = (this.#byOrigin.get(target.origin) ?? []).filter(
      (cookie) => cookie.expiresAt === undefined || cookie.expiresAt > now,
    );
    this.#byOrigin.set(target.origin, jar);
    return jar
      .filter((cookie) => pathMatches(target.pathname, cookie.path) && (!cookie.secure || secureContext(target)))
      .sort((a, b) => b.path.length - a.path.length);
  }

  /** The `Cookie` header for a request to `url`, or `undefined` when none applies. */
  header(url: string | URL): string | undefined {
    const cookies = this.cookiesFor(url);
    return cookies.length === 0 ? undefined : cookies.map((cookie) => `${cookie.name}=${cookie.value}`).join("; ");
  }

  /** The value of cookie `name` a request to `url` would carry. */
  get(url: string | URL, name: string): string | undefined {
    return this.cookiesFor(url).find((cookie) => cookie.name === name)?.value;
  }

  /** Forgets every cookie of `origin`, or of every origin. */
  clear(origin?: string): void {
    if (origin === undefined) this.#byOrigin.clear();
    else this.#byOrigin.delete(new URL(origin).origin);
  }

  /**
   * A `fetch` that sends this jar's cookies and stores the cookies of each answer. Redirects are
   * not followed (`redirect: "manual"` unless the caller says otherwise): a driver follows them
   * itself, so the cookies of every hop are stored.
   */
  fetch(base: Fetch = fetch): Fetch {
    return async (input, init = {}) => {
      const url = new URL(input);
      const headers = new Headers(init.headers);
      const cookie = this.header(url);
      if (cookie !== undefined && !headers.has("cookie")) headers.set("cookie", cookie);
      const response = await base(url, { redirect: "manual", ...init, headers });
      this.store(url, response);
      return response;
    };
  }
}

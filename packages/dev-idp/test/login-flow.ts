// The browser side of an authorization_code flow against dev-idp's devInteractions pages, just
// enough for dev-idp's own tests (dev-harness's driver cannot be used here: it depends on us).
import { createHash, randomBytes } from "node:crypto";

/** A one-origin cookie store: dev-idp's cookies are distinct by name, so paths are not tracked. */
export class MiniBrowser {
  readonly cookies = new Map<string, string>();

  async fetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) {
      headers.set("cookie", [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; "));
    }
    const response = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const header of response.headers.getSetCookie()) {
      const [pair = ""] = header.split(";");
      const at = pair.indexOf("=");
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(header) || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }
}

export interface Pkce {
  verifier: string;
  challenge: string;
}

export function pkce(): Pkce {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

export interface FlowResult {
  /** The redirect to the client, e.g. `...?code=...&state=...&iss=...` */
  callback: URL;
  loginPages: number;
  consentPages: number;
}

function formAction(html: string): string {
  const match = /<form[^>]*action="([^"]+)"/u.exec(html);
  if (match?.[1] === undefined) throw new Error(`no form in page: ${html.slice(0, 300)}`);
  return match[1].replaceAll("&amp;", "&");
}

/**
 * Follows redirects from `authorizeUrl`, signs in as `login` and confirms consent on dev-idp's
 * pages, and stops at the first redirect to `redirectUri` (never fetched).
 */
export async function runLoginFlow(
  browser: MiniBrowser,
  authorizeUrl: URL,
  redirectUri: string,
  login: string,
): Promise<FlowResult> {
  let url = authorizeUrl;
  let init: RequestInit = {};
  let loginPages = 0;
  let consentPages = 0;
  for (let hop = 0; hop < 20; hop++) {
    const response = await browser.fetch(url, init);
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location !== null) {
      await response.body?.cancel();
      const next = new URL(location, url);
      if (`${next.origin}${next.pathname}` === redirectUri) return { callback: next, loginPages, consentPages };
      url = next;
      init = {};
      continue;
    }
    const html = await response.text();
    if (response.status !== 200) throw new Error(`HTTP ${response.status} at ${url.pathname}: ${html.slice(0, 300)}`);
    const body = new URLSearchParams();
    if (html.includes('name="prompt" value="login"')) {
      loginPages++;
      body.set("prompt", "login");
      body.set("login", login);
      body.set("password", "any");
    } else if (html.includes('name="prompt" value="consent"')) {
      consentPages++;
      body.set("prompt", "consent");
    } else {
      throw new Error(`unexpected page at ${url.pathname}: ${html.slice(0, 300)}`);
    }
    url = new URL(formAction(html), url);
    init = { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body };
  }
  throw new Error("too many redirects");
}

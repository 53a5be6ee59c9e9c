import { hashPassword, pepperFromSecret } from "@mcp-auth/auth-common/accounts";
import {
  TEST_CHALLENGE as CHALLENGE,
  TEST_REDIRECT_URI as REDIRECT_URI,
  TEST_VERIFIER as VERIFIER,
  testClient,
} from "@mcp-auth/auth-common/testing";
import { freshAddress } from "@mcp-auth/dev-harness/limits";
import { env, exports } from "cloudflare:workers";
import worker from "../src/index.ts";
import { addUser, readAudit, type AuditRow, type User } from "../src/users.ts";

export { CHALLENGE, REDIRECT_URI, VERIFIER };
export const ORIGIN = "http://localhost:8790";
export const PASSWORD = "correct horse battery staple";

/** A request into the Worker as a browser or client on PUBLIC_ORIGIN sends it. */
export function call(path: string, init: RequestInit = {}, address = freshAddress()): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has("host")) headers.set("host", "localhost:8790");
  if (!headers.has("cf-connecting-ip")) headers.set("cf-connecting-ip", address);
  return exports.default.fetch(new Request(new URL(path, ORIGIN), { ...init, headers, redirect: "manual" }));
}

let counter = 0;
/** A fresh user with {@link PASSWORD}, straight into D1 (what `users add` does). */
export async function testUser(overrides: { email?: string; password?: string } = {}): Promise<User> {
  const pepper = await pepperFromSecret(env.PASSWORD_PEPPER);
  counter++;
  return addUser(env.DB, {
    email: overrides.email ?? `user${counter}-${crypto.randomUUID().slice(0, 8)}@example.com`,
    displayName: `Test User ${counter}`,
    passwordHash: await hashPassword(overrides.password ?? PASSWORD, { current: pepper }),
  });
}

/** The value of cookie `name` among a response's Set-Cookie headers. */
export function cookieOf(response: Response, name = "__Host-session"): string | undefined {
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(";");
    const [key, ...value] = (pair ?? "").split("=");
    if (key?.trim() === name) return value.join("=");
  }
  return undefined;
}

/** `name="value"` of a hidden input in a page. */
export function hiddenValue(html: string, name: string): string | undefined {
  return new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1]?.replaceAll("&amp;", "&");
}

/** A browser: one cookie string per name, sent with every request, updated from every answer. */
export class Browser {
  readonly cookies = new Map<string, string>();
  readonly address = freshAddress();

  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) {
      headers.set("cookie", [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; "));
    }
    const response = await call(path, { ...init, headers }, this.address);
    for (const line of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";");
      const [name = "", ...value] = pair.split("=");
      const gone = attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute));
      if (gone) this.cookies.delete(name.trim());
      else this.cookies.set(name.trim(), value.join("="));
    }
    return response;
  }

  /** A same-origin form POST, as Chromium sends it from our own page. */
  post(path: string, form: Record<string, string | string[]>, headers: Record<string, string> = {}): Promise<Response> {
    const body = new URLSearchParams();
    for (const [name, value] of Object.entries(form)) for (const one of [value].flat()) body.append(name, one);
    return this.fetch(path, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        origin: ORIGIN,
        "sec-fetch-site": "same-origin",
        ...headers,
      },
      body: body.toString(),
    });
  }

  /** A same-origin JSON POST, as the pages' script sends it. */
  json(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return this.fetch(path, {
      method: "POST",
      headers: { "content-type": "application/json", origin: ORIGIN, "sec-fetch-site": "same-origin", ...headers },
      body: JSON.stringify(body),
    });
  }

  /** Opens /login and signs in; returns the answer to the POST. */
  async signIn(email: string, password = PASSWORD, returnTo?: string): Promise<Response> {
    const page = await this.fetch(
      `/login${returnTo === undefined ? "" : `?return_to=${encodeURIComponent(returnTo)}`}`,
    );
    const html = await page.text();
    return this.post("/login", {
      csrf: hiddenValue(html, "csrf") ?? "",
      login: email,
      password,
      ...(returnTo === undefined ? {} : { return_to: hiddenValue(html, "return_to") ?? "" }),
    });
  }
}

export const { registerClient, authorizePath, exchangeCode, refresh } = testClient(call, ORIGIN);

/** Exchanges a code (or refreshes) at /token. */
export async function token(form: Record<string, string>): Promise<Response> {
  return call("/token", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form).toString(),
  });
}

/**
 * Waits for work the Worker deferred (audit rows are written after the response). It returns as
 * soon as `done` holds, so the generous deadline costs nothing on a quiet machine and keeps a
 * loaded one (CI on 2 busy cores) from failing a test that would have passed a moment later.
 */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > until) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * The user's audit rows once one matches `match` (the Worker writes them after its response), and
 * the first that does: undefined when none came within {@link eventually}'s deadline.
 */
export async function auditOf(
  userId: string,
  match: (row: AuditRow) => boolean,
): Promise<{ row: AuditRow | undefined; rows: AuditRow[] }> {
  const rows = await eventually(
    () => readAudit(env.DB, { userId }),
    (found) => found.some(match),
  );
  return { row: rows.find(match), rows };
}

export interface Tokens {
  access_token: string;
  refresh_token: string;
}

/** In a signed-in `browser`: registers an app called `name`, approves `notes:read`, exchanges the code. */
export async function connectApp(browser: Browser, name = "Connected Thing") {
  const clientId = await registerClient({ client_name: name });
  const page = await (await browser.fetch(authorizePath(clientId))).text();
  const approved = await browser.post("/authorize", {
    handle: hiddenValue(page, "handle") ?? "",
    csrf: hiddenValue(page, "csrf") ?? "",
    decision: "approve",
    scope: "notes:read",
  });
  const code = new URL(approved.headers.get("location") ?? "").searchParams.get("code") ?? "";
  const tokens = await (await exchangeCode(clientId, code)).json<Tokens>();
  return { clientId, tokens };
}

/** A signed-in user who connected one app ("Connected Thing") and holds its tokens. */
export async function connected(name = "Connected Thing") {
  const user = await testUser();
  const browser = new Browser();
  await browser.signIn(user.email);
  return { user, browser, ...(await connectApp(browser, name)) };
}

/** tools/list with this access token. */
export const mcp = (accessToken: string) =>
  call("/mcp", {
    method: "POST",
    headers: {
      authorization: `Bearer ${accessToken}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
  });

/** The same Worker with other variables, as an operator might deploy it. */
export function callWith(vars: Record<string, string>, path: string): Promise<Response> {
  const request = new Request(new URL(path, ORIGIN), { headers: { host: "localhost:8790" } });
  return worker.fetch(request, { ...env, ...vars }, {
    waitUntil: () => undefined,
    passThroughOnException: () => undefined,
    props: {},
  } as unknown as ExecutionContext);
}

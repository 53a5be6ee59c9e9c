import {
  authorizationUrl,
  exchange,
  launchChromium,
  openPage,
  register,
  serveOnLoopback,
  type LoopbackServer,
  type Peer,
} from "@mcp-auth/dev-harness";
import { whoamiWithToken } from "@mcp-auth/mcp-core/testing";
import { expectFramingRefused } from "@mcp-auth/mcp-core/testing/node";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";

// The human pages of the oauth-proxy in Debian's Chromium: the landing page, our consent page,
// and the whole chain through dev-idp's login pages back to an MCP client's loopback listener,
// with the browser enforcing the pages' CSP (frame-ancestors, form-action) for real.

const origin = () => inject("origin");
const idpOrigin = () => new URL(inject("devIdp").issuer).origin;

/** A client's redirect-URI listener on loopback: records each /callback it receives. */
interface Catcher {
  server: LoopbackServer;
  redirectUri: string;
  /** Resolves with the first /callback request's URL. */
  callback: Promise<URL>;
}

async function startCatcher(): Promise<Catcher> {
  let received!: (url: URL) => void;
  const callback = new Promise<URL>((resolve) => {
    received = resolve;
  });
  const server = await serveOnLoopback((request, response) => {
    const url = new URL(request.url ?? "/", `http://${request.headers.host ?? "127.0.0.1"}`);
    if (url.pathname !== "/callback") {
      response.writeHead(404).end();
      return;
    }
    received(url);
    response.writeHead(200, { "content-type": "text/html" });
    response.end("<p>client received the callback</p>");
  });
  return { server, redirectUri: `${server.origin}/callback`, callback };
}

/** A public client registered with the catcher's redirect URI (flow.ts's default is a fixed port). */
async function registerFor(catcher: Catcher, clientName = "page e2e client"): Promise<Peer> {
  const peer = await register(origin(), { client_name: clientName, redirect_uris: [catcher.redirectUri] });
  return { ...peer, redirectUri: catcher.redirectUri };
}

/** Console errors and page errors, each with the document the page was showing at the time. */
function watchErrors(page: Page): { document: string; text: string }[] {
  const seen: { document: string; text: string }[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") seen.push({ document: page.url(), text: message.text() });
  });
  page.on("pageerror", (error) => seen.push({ document: page.url(), text: error.message }));
  return seen;
}

/** Every response the page saw, redirects included, with where a redirect pointed. */
function watchResponses(page: Page): { method: string; url: string; status: number; location?: string }[] {
  const seen: { method: string; url: string; status: number; location?: string }[] = [];
  page.on("response", (response) => {
    const location = response.headers()["location"];
    seen.push({
      method: response.request().method(),
      url: response.url(),
      status: response.status(),
      ...(location === undefined ? {} : { location: new URL(location, response.url()).href }),
    });
  });
  return seen;
}

/**
 * Clicks Allow or Deny on our consent page and returns the answer to the form's POST /authorize:
 * its status, where a redirect points, and the text of the page shown when it is not a redirect.
 */
async function decide(page: Page, button: "Allow" | "Deny") {
  const answered = page.waitForResponse(
    (response) => response.request().method() === "POST" && response.url() === `${origin()}/authorize`,
  );
  await page.getByRole("button", { name: button }).click();
  const response = await answered;
  const location = response.headers()["location"];
  let refusal = "";
  if (location === undefined) {
    await page.waitForLoadState("domcontentloaded");
    refusal = `POST /authorize answered ${response.status()}: ${await page.locator("body").innerText()}`;
  }
  return { status: response.status(), location: location && new URL(location, response.url()).href, refusal };
}

const whoami = (accessToken: string) => whoamiWithToken(origin(), accessToken);

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser.close();
});

describe("GET / in a real browser", () => {
  it("renders the pattern, the MCP URL, the tool table and a config per client, with no errors", async () => {
    const { page, response, problems } = await openPage(browser, `${origin()}/`);
    expect(response?.status()).toBe(200);
    await expect(page.title()).resolves.toBe("OAuth proxy — MCP auth patterns");
    await expect(page.locator(".badge").innerText()).resolves.toBe("oauth-proxy");
    await expect(page.locator("p:has-text('MCP endpoint') code").innerText()).resolves.toBe(`${origin()}/mcp`);
    await expect(page.locator("h2").allTextContents()).resolves.toEqual([
      "How a caller proves who it is",
      "Risks and what this app does about them",
      "Tools",
      "Connect a client",
      "Configuration of this deployment",
    ]);
    const toolRows = await page
      .locator("h2:has-text('Tools') + table tr")
      .evaluateAll((rows) =>
        rows.slice(1).map((row) => Array.from(row.querySelectorAll("td"), (cell) => cell.innerText).slice(0, 2)),
      );
    expect(toolRows).toEqual([
      ["whoami", "any caller"],
      ["echo", "any caller"],
      ["notes_list", "notes:read"],
      ["notes_add", "notes:write"],
      ["notes_delete", "notes:write"],
    ]);
    const clients = await page.locator("h3").allTextContents();
    expect(clients.map((text) => text.split(" — ")[0])).toEqual([
      "Claude Code",
      "Claude Desktop",
      "Cursor",
      "VS Code",
      "MCP Inspector",
      "mcp-remote",
    ]);
    // Inspector's CLI: what it needs to sign in headless, and why it cannot step up.
    const inspectorNote = await page.locator("p.note").allInnerTexts();
    expect(inspectorNote).toHaveLength(1);
    expect(inspectorNote[0]).toContain("MCP_AUTO_OPEN_ENABLED=true");
    expect(inspectorNote[0]).toContain("“Tool 'notes_add' not found”");
    // An OAuth server: the configs carry the URL only, no header with a credential placeholder.
    const cursor = JSON.parse(await page.locator("pre").nth(2).innerText()) as unknown;
    expect(cursor).toEqual({ mcpServers: { "oauth-proxy": { url: `${origin()}/mcp` } } });
    await expect(page.locator("pre").first().innerText()).resolves.toBe(
      `claude mcp add --transport http oauth-proxy ${origin()}/mcp`,
    );
    await page.screenshot({ path: "test-results/oauth-proxy-page.png", fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it("cannot be framed by another site, while a control frame on the same page loads", async () => {
    await expectFramingRefused(browser, `${origin()}/`, { hidden: "OAuth proxy" });
  });
});

describe("the consent page in a real browser", () => {
  const catchers: Catcher[] = [];
  afterEach(async () => {
    await Promise.all(catchers.splice(0).map((catcher) => catcher.server.stop()));
  });

  it("shows a client name literally (entities not interpreted), unverified, with the loopback host and warning", async () => {
    const catcher = await startCatcher();
    catchers.push(catcher);
    const name = `Tom &amp; "Jerry's" app`;
    const peer = await registerFor(catcher, name);
    const { url } = await authorizationUrl(peer, { scope: "notes:read" });
    const { page, response, problems } = await openPage(browser, url.href);
    expect(response?.status()).toBe(200);
    await expect(page.title()).resolves.toBe(`Authorize ${name}`);
    await expect(page.locator("h1 .client-name").innerText()).resolves.toBe(name);
    const text = await page.locator("body").innerText();
    expect(text).toContain(name);
    expect(text).not.toContain(`Tom & "Jerry's" app`);
    expect(text).toContain(`the name ${name} is its own claim and is not verified`);
    await expect(page.locator(".redirect-host").innerText()).resolves.toMatch(/^127\.0\.0\.1(:\d+)?$/);
    await expect(page.locator(".warning").innerText()).resolves.toContain(
      "This sends access to an app on your computer.",
    );
    await expect(page.locator("input[name=scope][value='notes:read']").isChecked()).resolves.toBe(true);
    await expect(page.locator("input[name=scope][value='notes:write']").isChecked()).resolves.toBe(false);
    await expect(page.getByRole("button", { name: "Allow" }).isVisible()).resolves.toBe(true);
    await expect(page.getByRole("button", { name: "Deny" }).isVisible()).resolves.toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("markup in client_name is refused at registration (400 invalid_client_metadata)", async () => {
    const response = await fetch(new URL("/register", origin()), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        client_name: "<b>x</b>",
        redirect_uris: ["http://127.0.0.1:33418/callback"],
        token_endpoint_auth_method: "none",
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
      }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: "invalid_client_metadata",
      error_description: "client_name must be plain text.",
    });
  });

  it("cannot be framed by another site, while a control frame on the same page loads", async () => {
    const catcher = await startCatcher();
    catchers.push(catcher);
    const { url } = await authorizationUrl(await registerFor(catcher, "framing victim"));
    await expectFramingRefused(browser, url.href, { hidden: "framing victim" });
  });
});

describe("the whole chain in a real browser", () => {
  const catchers: Catcher[] = [];
  afterEach(async () => {
    await Promise.all(catchers.splice(0).map((catcher) => catcher.server.stop()));
  });

  it("Allow → dev-idp login and consent → our /callback → the client's redirect URI with code, state, iss → whoami", async () => {
    const catcher = await startCatcher();
    catchers.push(catcher);
    const peer = await registerFor(catcher);
    const { url, state, codeVerifier } = await authorizationUrl(peer, { scope: "notes:read" });
    const page = await browser.newPage();
    const errors = watchErrors(page);
    const responses = watchResponses(page);
    expect((await page.goto(url.href))?.status()).toBe(200);

    // Allow: the form POSTs to /authorize, answered 302 to dev-idp — a different origin that the
    // page's CSP form-action must allow, since Chromium applies it to the redirect too.
    const allow = await decide(page, "Allow");
    expect(allow.status, allow.refusal).toBe(302);
    expect(new URL(allow.location ?? "").origin).toBe(idpOrigin());
    // A form-action that did not allow dev-idp would leave the browser here, with a CSP console error.
    await page
      .waitForURL((at) => at.origin === idpOrigin(), { waitUntil: "domcontentloaded", timeout: 10_000 })
      .catch((error: unknown) => {
        throw new Error(`the browser never reached dev-idp; console errors: ${JSON.stringify(errors)}`, {
          cause: error,
        });
      });

    // dev-idp's login page (devInteractions): any login name, any password.
    await page.locator("input[name=login]").fill("pagetester");
    await page.locator("input[name=password]").fill("dev-only-password");
    await page.getByRole("button", { name: "Sign-in" }).click();
    // dev-idp's consent page ("Continue"), then back through our /callback to the client.
    await page.locator("form:has(input[name=prompt][value=consent]) button[type=submit]").click();
    const callback = await catcher.callback;
    await page.waitForURL((at) => at.origin === catcher.server.origin, { waitUntil: "domcontentloaded" });

    const ours = responses.find((seen) => seen.url.startsWith(`${origin()}/callback?`));
    expect(ours?.status).toBe(302);
    expect(ours?.location?.startsWith(`${catcher.redirectUri}?`)).toBe(true);
    expect(callback.origin + callback.pathname).toBe(catcher.redirectUri);
    expect(callback.searchParams.get("code")).toMatch(/\S/);
    expect(callback.searchParams.get("state")).toBe(state);
    expect(callback.searchParams.get("iss")).toBe(origin());
    expect(callback.searchParams.get("error")).toBeNull();

    // Our pages ran clean; dev-idp's pages may log their own (e.g. a web font they cannot load).
    expect(errors.filter((error) => error.document.startsWith(`${origin()}/`))).toEqual([]);
    expect(errors.filter((error) => error.text.includes("Content Security Policy"))).toEqual([]);
    await page.close();

    const tokens = await exchange(peer, callback, state, codeVerifier);
    expect(tokens.scope).toBe("notes:read");
    const me = await whoami(tokens.accessToken);
    expect(me.isError ?? false).toBe(false);
    expect(me.structuredContent).toMatchObject({
      pattern: "oauth-proxy",
      method: "oauth",
      subject: "pagetester",
      displayName: "Pagetester",
      issuer: inject("devIdp").issuer,
      clientId: peer.client.client_id,
    });
  });

  it("Deny → the client's redirect URI gets access_denied with state and iss, no code, and dev-idp is never visited", async () => {
    const catcher = await startCatcher();
    catchers.push(catcher);
    const peer = await registerFor(catcher);
    const { url, state } = await authorizationUrl(peer);
    const page = await browser.newPage();
    const errors = watchErrors(page);
    const responses = watchResponses(page);
    expect((await page.goto(url.href))?.status()).toBe(200);
    const deny = await decide(page, "Deny");
    // The 302 after the POST goes straight to the client: CSP form-action allows its origin.
    expect(deny.status, deny.refusal).toBe(302);
    expect(deny.location?.startsWith(`${catcher.redirectUri}?`)).toBe(true);
    const callback = await catcher.callback;
    await page.waitForURL((at) => at.origin === catcher.server.origin, { waitUntil: "domcontentloaded" });

    expect(callback.origin + callback.pathname).toBe(catcher.redirectUri);
    expect(callback.searchParams.get("error")).toBe("access_denied");
    expect(callback.searchParams.get("state")).toBe(state);
    expect(callback.searchParams.get("iss")).toBe(origin());
    expect(callback.searchParams.get("code")).toBeNull();
    expect(responses.filter((seen) => seen.url.startsWith(idpOrigin()))).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});

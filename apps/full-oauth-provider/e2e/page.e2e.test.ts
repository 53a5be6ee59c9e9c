// The human pages in Debian's Chromium with a virtual authenticator (DevTools WebAuthn domain):
// password sign-in → add a passkey on /account → sign out → an MCP client's authorization →
// sign in with the passkey (no email) → consent → the client's loopback listener gets the code →
// connected apps → Revoke → the client's token is 401 and its refresh invalid_grant. The browser
// enforces the pages' CSP (script-src, connect-src, frame-ancestors, form-action) for real.
import { launchChromium, serveOnLoopback, type LoopbackServer } from "@mcp-auth/dev-harness";
import { whoamiWithToken } from "@mcp-auth/mcp-core/testing";
import { expectFramingRefused } from "@mcp-auth/mcp-core/testing/node";
import * as oauth from "oauth4webapi";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

const origin = () => inject("origin");
const EMAIL = "browser@example.com";

let browser: Browser;
let catcher: LoopbackServer;
let received: ((url: URL) => void) | undefined;

beforeAll(async () => {
  browser = await launchChromium();
  catcher = await serveOnLoopback((request, response) => {
    const url = new URL(request.url ?? "/", `http://${request.headers.host ?? "127.0.0.1"}`);
    if (url.pathname === "/callback") received?.(url);
    // Anything else is the browser's own request for the listener's page (its favicon).
    response.writeHead(url.pathname === "/callback" ? 200 : 204, { "content-type": "text/html" });
    response.end(url.pathname === "/callback" ? "<p>client received the callback</p>" : undefined);
  });
});
afterAll(async () => {
  await browser.close();
  await catcher.stop();
});

/** Console errors and page errors for the whole journey. */
function watchErrors(page: Page): string[] {
  const seen: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") seen.push(`${page.url()}: ${message.text()}`);
  });
  page.on("pageerror", (error) => seen.push(`${page.url()}: ${error.message}`));
  return seen;
}

async function tokenRequest(form: Record<string, string>) {
  return fetch(new URL("/token", origin()), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form),
  });
}

const whoami = (accessToken: string) => whoamiWithToken(origin(), accessToken);

/** A context with a virtual authenticator, signed in with a password, holding one new passkey. */
async function withPasskey(email: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = watchErrors(page);
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  await page.goto(`${origin()}/login`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(inject("accounts")[email] ?? "");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL(`${origin()}/account`);
  expect(await page.locator(".signed-in-as").innerText()).toBe(email);
  // The page's script runs the ceremony, then reloads with the passkey listed.
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await page.locator(".passkey-name").first().waitFor();
  expect(await page.locator(".passkey-name").count()).toBe(1);
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(`${origin()}/`);
  return { context, page, problems };
}

describe("the whole journey in a real browser with a passkey", () => {
  it("password → add passkey → passkey sign-in → consent → code → connected apps → Revoke → 401 and invalid_grant", async () => {
    // 1–3. Password sign-in lands on /account; add a passkey there; sign out.
    const { context, page, problems } = await withPasskey(EMAIL);

    // 4. An MCP client registers and sends the browser to /authorize (PKCE S256).
    const redirectUri = `${catcher.origin}/callback`;
    const registered = await fetch(new URL("/register", origin()), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        client_name: "Chromium journey client",
        redirect_uris: [redirectUri],
        token_endpoint_auth_method: "none",
      }),
    });
    const { client_id: clientId } = (await registered.json()) as { client_id: string };
    const verifier = oauth.generateRandomCodeVerifier();
    const authorize = new URL("/authorize", origin());
    for (const [name, value] of Object.entries({
      response_type: "code",
      client_id: clientId,
      redirect_uri: redirectUri,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      state: "journey-state",
      scope: "notes:read",
      resource: `${origin()}/mcp`,
    })) {
      authorize.searchParams.set(name, value);
    }
    const callback = new Promise<URL>((resolve) => {
      received = resolve;
    });
    await page.goto(authorize.href);
    await page.waitForURL(/\/login\?return_to=/);

    // 5. Sign in with the passkey, no email typed: back to /authorize, the consent page.
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await page.getByRole("button", { name: "Allow" }).waitFor();
    await expect(page.locator(".signed-in-as").innerText()).resolves.toBe(EMAIL);
    await expect(page.locator(".client-name").innerText()).resolves.toBe("Chromium journey client");

    // 6. Allow → the client's listener gets code, state and iss.
    await page.getByRole("button", { name: "Allow" }).click();
    const url = await callback;
    expect(url.searchParams.get("state")).toBe("journey-state");
    expect(url.searchParams.get("iss")).toBe(origin());
    const exchanged = await tokenRequest({
      grant_type: "authorization_code",
      code: url.searchParams.get("code") ?? "",
      redirect_uri: redirectUri,
      client_id: clientId,
      code_verifier: verifier,
      resource: `${origin()}/mcp`,
    });
    expect(exchanged.status).toBe(200);
    const tokens = (await exchanged.json()) as { access_token: string; refresh_token: string };
    expect((await whoami(tokens.access_token)).structuredContent).toMatchObject({ pattern: "full-oauth-provider" });

    // 7. Connected apps lists it; Revoke ends it at once.
    await page.goto(`${origin()}/account`);
    await expect(page.locator(".app-name").allInnerTexts()).resolves.toContain("Chromium journey client");
    const row = page.locator("tr", { has: page.locator(".app-name", { hasText: "Chromium journey client" }) });
    await row.getByRole("button", { name: "Revoke" }).click();
    await page.waitForURL(`${origin()}/account`);
    await expect(page.locator(".app-name", { hasText: "Chromium journey client" }).count()).resolves.toBe(0);
    await expect(whoami(tokens.access_token)).rejects.toThrow(/401|unauthorized/i);
    const refreshed = await tokenRequest({
      grant_type: "refresh_token",
      refresh_token: tokens.refresh_token,
      client_id: clientId,
    });
    expect(refreshed.status).toBe(400);
    expect(await refreshed.json()).toMatchObject({ error: "invalid_grant" });

    expect(problems).toEqual([]);
    await context.close();
  });
});

describe("passkey assertions Chromium made, tampered with or replayed", () => {
  it("an assertion relayed with another origin in its client data is refused; a captured one replayed later too", async () => {
    const { context, page } = await withPasskey("passkey-attacks@example.com");
    // 1. A relay (a phishing proxy) that rewrites clientDataJSON's origin: refused, not signed in.
    await page.route(`${origin()}/login/passkey/verify`, async (route) => {
      const body = JSON.parse(route.request().postData() ?? "{}") as {
        response: { response: { clientDataJSON: string } };
      };
      const clientData = JSON.parse(Buffer.from(body.response.response.clientDataJSON, "base64url").toString()) as {
        origin: string;
      };
      clientData.origin = "https://evil.example";
      body.response.response.clientDataJSON = Buffer.from(JSON.stringify(clientData)).toString("base64url");
      await route.continue({ postData: JSON.stringify(body) });
    });
    await page.goto(`${origin()}/login`);
    const refused = page.waitForResponse(`${origin()}/login/passkey/verify`);
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    expect((await refused).status()).toBe(401);
    const status = page.locator("#passkey-status", { hasText: "Passkey sign-in failed" });
    await status.waitFor();
    expect(await status.innerText()).toBe("Passkey sign-in failed: This passkey could not sign you in.");
    expect(page.url()).toBe(`${origin()}/login`);
    await page.unroute(`${origin()}/login/passkey/verify`);

    // 2. An untouched assertion signs in; captured on the way, it is worthless afterwards.
    let captured = "";
    page.on("request", (request) => {
      if (request.url() === `${origin()}/login/passkey/verify`) captured = request.postData() ?? "";
    });
    await page.goto(`${origin()}/login`);
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await page.waitForURL(`${origin()}/account`);
    expect(captured).toContain('"response"');
    // Replayed from another browser, inside a ceremony of its own (its own cookie and CSRF token).
    const other = await browser.newContext();
    const attacker = await other.newPage();
    await attacker.goto(`${origin()}/login`);
    const replay = await attacker.evaluate(async (body: string) => {
      const csrf = document.querySelector<HTMLButtonElement>("#passkey-sign-in")?.dataset["csrf"] ?? "";
      const post = (path: string, payload: unknown) =>
        fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(payload) });
      await post("/login/passkey/options", { csrf });
      const answer = await post("/login/passkey/verify", { ...(JSON.parse(body) as object), csrf });
      return { status: answer.status, body: (await answer.json()) as unknown };
    }, captured);
    expect(replay).toEqual({
      status: 401,
      body: { error: "sign_in_failed", error_description: "This passkey could not sign you in." },
    });
    await attacker.goto(`${origin()}/account`);
    expect(attacker.url()).toBe(`${origin()}/login`);
    await other.close();
    await context.close();
  });
});

describe("framing", () => {
  it("the login page and /authorize (signed-in or not, SameSite=Lax sends no session into a frame) cannot be framed", async () => {
    // /authorize with an unknown client renders its error page; /account sends a signed-out
    // browser to /login, which refuses the frame.
    for (const [path, status] of [
      ["/login", 200],
      ["/authorize?client_id=x", 400],
      ["/account", 303],
    ] as const) {
      await expectFramingRefused(browser, `${origin()}${path}`, { hidden: "Sign in", status });
    }
  });
});

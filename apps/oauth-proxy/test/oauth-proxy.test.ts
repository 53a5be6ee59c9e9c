import { describeAuthorizationRequests } from "@mcp-auth/auth-common/testing";
import { describe, expect, it } from "vitest";
import { CIMD_CLIENT_ID, CIMD_MISSING_CLIENT_ID, CIMD_REDIRECT_URI, CIMD_UNSAFE_CLIENT_ID } from "./cimd-documents.ts";
import { FAKE_OIDC_ISSUER } from "./fake-oidc-upstream.ts";
import {
  CHALLENGE,
  ORIGIN,
  authorizePath,
  call,
  callWith,
  clientRedirect,
  consentOf,
  registerClient,
} from "./helpers.ts";

const json = (response: Response) => response.json<Record<string, unknown>>();

describe("configuration", () => {
  it.each([
    [{ PUBLIC_ORIGIN: "" }, "PUBLIC_ORIGIN"],
    [{ PUBLIC_ORIGIN: "https://mcp.example.com/path" }, "PUBLIC_ORIGIN"],
    [{ PUBLIC_ORIGIN: "http://mcp.example.com" }, "PUBLIC_ORIGIN"],
    [{ UPSTREAM: "oidc", UPSTREAM_ISSUER: "" }, "UPSTREAM_ISSUER"],
    [{ UPSTREAM: "entra", ENTRA_TENANT: "common", ENTRA_ALLOWED_TENANTS: "" }, "ENTRA_ALLOWED_TENANTS"],
    [{ UPSTREAM_CLIENT_SECRET: "" }, "UPSTREAM_CLIENT_SECRET"],
    [{ UPSTREAM: "saml" }, "UPSTREAM"],
  ] as const)("%o refuses to serve and names %s, never a value", async (vars, name) => {
    const response = await callWith(vars, "/");
    expect(response.status).toBe(500);
    const body = await json(response);
    expect(body["error"]).toBe("server_misconfigured");
    expect(String(body["error_description"])).toContain(name);
    expect(String(body["error_description"])).not.toContain("workerd-test-secret");
  });

  it("names a variable's own problem and a cross-variable one in the same answer", async () => {
    // The flag fails its own schema (an enum: zod skips a plain superRefine then); UPSTREAM_ISSUER
    // is missing, which only a rule across variables (UPSTREAM=oidc) can tell.
    const vars = { ALLOW_INSECURE_HTTP_LOOPBACK: "yes", UPSTREAM: "oidc", UPSTREAM_ISSUER: "" };
    const response = await callWith(vars, "/");
    expect(response.status).toBe(500);
    expect(await json(response)).toEqual({
      error: "server_misconfigured",
      error_description:
        'Invalid configuration — ALLOW_INSECURE_HTTP_LOOPBACK: Invalid option: expected one of "true"|"false"|""; ' +
        "UPSTREAM_ISSUER: required when UPSTREAM=oidc",
    });
  });
});

// Registration policy, /authorize validation and PKCE for every client: shared with
// full-oauth-provider, which runs the same cases.
describeAuthorizationRequests(call, ORIGIN);

describe("the consent page", () => {
  it("is not frameable, runs no script, limits form-action to the upstream and the redirect, escapes the client name", async () => {
    const clientId = await registerClient({ client_name: `Tom & "Jerry's" app` });
    const response = await call(authorizePath(clientId, { scope: "notes:read admin:all" }));
    expect(response.status).toBe(200);
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("form-action 'self' https://github.invalid http://127.0.0.1:43210");
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    const { html } = await consentOf(response);
    expect(html).toContain("Tom &amp; &quot;Jerry&#39;s&quot; app");
    expect(html).toMatch(/not verified/);
    expect(html).toContain("127.0.0.1");
    expect(html).toMatch(/app on your computer/);
    expect(html).toContain('value="notes:read" checked');
    expect(html).toContain('value="notes:write"');
    expect(html).not.toContain("admin:all");
  });

  const post = (form: Record<string, string>, cookie?: string, origin = ORIGIN, site?: string) =>
    call("/authorize", {
      method: "POST",
      redirect: "manual",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        origin,
        ...(site === undefined ? {} : { "sec-fetch-site": site }),
        ...(cookie === undefined ? {} : { cookie }),
      },
      body: new URLSearchParams(form).toString(),
    });

  it("Allow sends the browser upstream with PKCE S256 and a state created now, and binds it to this browser", async () => {
    const clientId = await registerClient();
    const { handle, cookie } = await consentOf(await call(authorizePath(clientId)));
    const response = await post({ handle, decision: "approve", scope: "notes:read" }, cookie);
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get("location") ?? "");
    expect(location.origin + location.pathname).toBe("https://github.invalid/login/oauth/authorize");
    expect(location.searchParams.get("client_id")).toBe("workerd-test-client");
    expect(location.searchParams.get("redirect_uri")).toBe(`${ORIGIN}/callback`);
    expect(location.searchParams.get("code_challenge_method")).toBe("S256");
    expect(location.searchParams.get("code_challenge")).not.toBe(CHALLENGE);
    expect(location.searchParams.get("state")?.length ?? 0).toBeGreaterThan(20);
    expect(location.searchParams.get("state")).not.toBe("state-123");
    expect(response.headers.get("set-cookie")).toMatch(/__Host-/);
  });

  it("Deny returns access_denied with state and iss to the registered redirect", async () => {
    const clientId = await registerClient();
    const { handle, cookie } = await consentOf(await call(authorizePath(clientId)));
    const response = await post({ handle, decision: "deny" }, cookie);
    expect(clientRedirect(response)).toMatchObject({
      error: "access_denied",
      state: "state-123",
      iss: ORIGIN,
    });
  });

  it("a POST without its cookie, with another consent's cookie, or replayed → 400, no redirect", async () => {
    const clientId = await registerClient();
    const first = await consentOf(await call(authorizePath(clientId)));
    const second = await consentOf(await call(authorizePath(clientId)));
    const withoutCookie = await post({ handle: first.handle, decision: "approve" });
    const otherCookie = await post({ handle: first.handle, decision: "approve" }, second.cookie);
    for (const response of [withoutCookie, otherCookie]) {
      expect(response.status).toBe(400);
      expect(response.headers.get("location")).toBeNull();
    }
    const used = await post({ handle: second.handle, decision: "deny" }, second.cookie);
    expect(used.status).toBe(302);
    const replayed = await post({ handle: second.handle, decision: "approve" }, second.cookie);
    expect(replayed.status).toBe(400);
    expect(replayed.headers.get("location")).toBeNull();
  });

  it("a POST from another origin → 403, and the handle stays unused", async () => {
    const clientId = await registerClient();
    const { handle, cookie } = await consentOf(await call(authorizePath(clientId)));
    const forged = await post({ handle, decision: "approve" }, cookie, "https://evil.example");
    expect(forged.status).toBe(403);
    expect(forged.headers.get("location")).toBeNull();
    const real = await post({ handle, decision: "deny" }, cookie);
    expect(real.status).toBe(302);
  });

  it("a real browser's POST from our page (Origin: null under no-referrer, Sec-Fetch-Site: same-origin) is accepted", async () => {
    const clientId = await registerClient();
    const { handle, cookie } = await consentOf(await call(authorizePath(clientId)));
    const response = await post({ handle, decision: "deny" }, cookie, "null", "same-origin");
    expect(response.status).toBe(302);
    expect(new URL(response.headers.get("location") ?? "").searchParams.get("error")).toBe("access_denied");
  });

  it.each([
    ["cross-site", "null"],
    ["same-site", "null"],
    ["cross-site", ORIGIN],
  ])("a POST marked Sec-Fetch-Site: %s (Origin %s) → 403, the handle unused", async (site, origin) => {
    const clientId = await registerClient();
    const { handle, cookie } = await consentOf(await call(authorizePath(clientId)));
    const forged = await post({ handle, decision: "approve" }, cookie, origin, site);
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain("only be sent from this server");
    expect((await post({ handle, decision: "deny" }, cookie)).status).toBe(302);
  });

  it("the upstream callback without its binding cookie → 400, nothing issued", async () => {
    const response = await call("/callback?code=abc&state=forged-state", { redirect: "manual" });
    expect(response.status).toBe(400);
    expect(response.headers.get("location")).toBeNull();
  });
});

describe("Client ID Metadata Documents", () => {
  it("a CIMD client's consent page names its verified domain", async () => {
    const response = await call(authorizePath(CIMD_CLIENT_ID, { redirect_uri: CIMD_REDIRECT_URI }));
    expect(response.status).toBe(200);
    const { html } = await consentOf(response);
    expect(html).toContain("Example Desktop Client");
    expect(html).toMatch(/Published by <strong>client\.example\.test<\/strong>/);
    expect(html).not.toMatch(/not verified/);
  });

  it.each([
    [CIMD_UNSAFE_CLIENT_ID, "a document with a javascript: redirect"],
    [CIMD_MISSING_CLIENT_ID, "a document that is not there"],
  ])("%s (%s) renders locally, never redirects", async (clientId) => {
    const response = await call(authorizePath(clientId, { redirect_uri: CIMD_REDIRECT_URI }), { redirect: "manual" });
    expect(response.status).toBe(400);
    expect(response.headers.get("location")).toBeNull();
    expect(await response.text()).not.toContain('name="handle"');
  });
});

describe("the upstream callback", () => {
  /** Consent approved (by default with the github upstream): the upstream redirect's state and the browser's cookies. */
  async function approved(through: typeof call = call): Promise<{ state: string; cookies: string }> {
    const clientId = await registerClient();
    const { handle, cookie } = await consentOf(await through(authorizePath(clientId)));
    const response = await through("/authorize", {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: ORIGIN, cookie },
      body: new URLSearchParams({ handle, decision: "approve", scope: "notes:read" }).toString(),
    });
    const state = new URL(response.headers.get("location") ?? "").searchParams.get("state") ?? "";
    const upstreamCookie = (response.headers.get("set-cookie") ?? "")
      .split(/,(?=\s*__Host-)/)
      .map((part) => part.split(";")[0]?.trim() ?? "")
      .filter((part) => part.startsWith("__Host-oauth-upstream"));
    return { state, cookies: upstreamCookie.join("; ") };
  }

  it("an upstream error=access_denied goes back to the client as access_denied with its state and iss", async () => {
    const { state, cookies } = await approved();
    const response = await call(`/callback?error=access_denied&state=${state}`, {
      redirect: "manual",
      headers: { cookie: cookies },
    });
    const params = clientRedirect(response);
    expect(params).toMatchObject({ error: "access_denied", state: "state-123", iss: ORIGIN });
    expect(params["code"]).toBeUndefined();
  });

  it("a POST to /callback → the 405 page; the transaction stays for the browser's GET", async () => {
    const { state, cookies } = await approved();
    const posted = await call(`/callback?error=access_denied&state=${state}`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie: cookies, origin: ORIGIN },
    });
    expect(posted.status).toBe(405);
    expect(posted.headers.get("location")).toBeNull();
    expect(await posted.text()).toContain("Method not allowed");
    const got = await call(`/callback?error=access_denied&state=${state}`, {
      redirect: "manual",
      headers: { cookie: cookies },
    });
    expect(got.status).toBe(302);
    expect(new URL(got.headers.get("location") ?? "").searchParams.get("error")).toBe("access_denied");
  });

  it("the same state replayed after use → 400, no redirect", async () => {
    const { state, cookies } = await approved();
    const first = await call(`/callback?error=access_denied&state=${state}`, {
      redirect: "manual",
      headers: { cookie: cookies },
    });
    expect(first.status).toBe(302);
    const again = await call(`/callback?error=access_denied&state=${state}`, {
      redirect: "manual",
      headers: { cookie: cookies },
    });
    expect(again.status).toBe(400);
    expect(again.headers.get("location")).toBeNull();
  });

  it("a state from another browser (no binding cookie) → 400, no redirect", async () => {
    const { state } = await approved();
    const response = await call(`/callback?code=stolen&state=${state}`, { redirect: "manual" });
    expect(response.status).toBe(400);
    expect(response.headers.get("location")).toBeNull();
  });

  /** A cookie of the right name holding another transaction's hash: another browser session's. */
  const otherSessions = (cookies: string) => cookies.replace(/=[0-9a-f]+$/, `=${"0".repeat(64)}`);

  // A leaked callback URL must not be finishable later by the browser that started the flow
  // (the class of CVE-2026-27124): every refusal spends the transaction before answering.
  it.each([
    ["no binding cookie", 400, "This authorization was not started in this browser", () => ""],
    ["another browser session's cookie", 400, "belongs to a different browser session", otherSessions],
    ["an upstream error", 302, "access_denied", (cookies: string) => cookies],
    ["a code exchange the upstream refuses", 302, "access_denied", (cookies: string) => cookies],
  ] as const)(
    "a callback refused for %s (%i) spends its state: the starting browser's retry → 400 expired",
    async (label, status, refusal, cookieFor) => {
      const { state, cookies } = await approved();
      const query = label === "an upstream error" ? `error=access_denied&state=${state}` : `code=leaked&state=${state}`;
      const refused = await call(`/callback?${query}`, { redirect: "manual", headers: { cookie: cookieFor(cookies) } });
      expect(refused.status).toBe(status);
      if (status === 400) {
        expect(refused.headers.get("location")).toBeNull();
        expect(await refused.text()).toContain(refusal);
      } else {
        const params = clientRedirect(refused);
        expect(params["error"]).toBe(refusal);
        expect(params["code"]).toBeUndefined();
      }
      const retried = await call(`/callback?code=leaked&state=${state}`, {
        redirect: "manual",
        headers: { cookie: cookies },
      });
      expect(retried.status).toBe(400);
      expect(retried.headers.get("location")).toBeNull();
      expect(await retried.text()).toContain("This authorization expired or was already used; start again");
    },
  );

  it("a callback refused for its ID token's nonce (an OIDC upstream) spends its state too", async () => {
    const oidc = (path: string, init?: RequestInit) =>
      callWith(
        { UPSTREAM: "oidc", UPSTREAM_ISSUER: FAKE_OIDC_ISSUER, GITHUB_BASE_URL: "", GITHUB_API_URL: "" },
        path,
        init,
      );
    const { state, cookies } = await approved(oidc);
    const callback = `/callback?code=c0de&state=${state}&iss=${encodeURIComponent(FAKE_OIDC_ISSUER)}`;
    const refused = await oidc(callback, { redirect: "manual", headers: { cookie: cookies } });
    expect(clientRedirect(refused)).toMatchObject({
      error: "access_denied",
      error_description: `The sign-in at ${new URL(FAKE_OIDC_ISSUER).host} could not be verified.`,
    });
    const retried = await oidc(callback, { redirect: "manual", headers: { cookie: cookies } });
    expect(retried.status).toBe(400);
    expect(await retried.text()).toContain("This authorization expired or was already used; start again");
  });
});

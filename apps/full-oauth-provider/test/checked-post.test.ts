import { afterEach, describe, expect, it, vi } from "vitest";
import { Browser, ORIGIN, call, testUser } from "./helpers.ts";

// Every state-changing POST of this app's pages goes through one check (src/checked-post.ts),
// so a refusal has one shape per kind of caller, whichever route refused: the HTML forms get a
// page, the passkey script gets JSON. Each refusal is logged as `<purpose>_<why>`.

/** The HTML forms: route, CSRF purpose, and whether the caller must be signed in. */
const FORMS = [
  ["/login", "login", false],
  ["/logout", "logout", false],
  ["/authorize", "consent", true],
  ["/account/revoke", "revoke", true],
  ["/account/passkeys/remove", "passkey", true],
] as const;

/** The passkey script's JSON POSTs: route, CSRF purpose, and whether the caller must be signed in. */
const SCRIPT_POSTS = [
  ["/login/passkey/options", "login", false],
  ["/login/passkey/verify", "login", false],
  ["/account/passkeys/options", "passkey", true],
  ["/account/passkeys/verify", "passkey", true],
] as const;

const CROSS_SITE = { origin: "https://evil.example", "sec-fetch-site": "cross-site" };
const FORGED_PAGE = "This form can only be sent from this server&#39;s own page. Reload it and try again.";
const FORGED_JSON = {
  error: "forbidden",
  error_description: "Only this server's own pages may do that. Reload the page.",
};

/** The `reason` of every `request_refused` line logged while `spy` watched. */
function reasons(spy: { mock: { calls: unknown[][] } }): string[] {
  return spy.mock.calls.map(([line]) => (JSON.parse(String(line)) as { reason: string }).reason);
}

/** A signed-in browser of a fresh user. */
async function signedIn(): Promise<Browser> {
  const browser = new Browser();
  expect((await browser.signIn((await testUser()).email)).status).toBe(303);
  return browser;
}

describe("one check for every state-changing POST", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it.each(FORMS)(
    "%s: from another site or without its token → the forged-form page; the session stands",
    async (path, purpose) => {
      const browser = await signedIn();
      const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
      for (const answer of [await browser.post(path, {}, CROSS_SITE), await browser.post(path, { csrf: "forged" })]) {
        expect(answer.status).toBe(403);
        expect(await answer.text()).toContain(FORGED_PAGE);
      }
      expect(reasons(warn)).toEqual([`${purpose}_cross_origin`, `${purpose}_csrf`]);
      expect((await browser.fetch("/account")).status).toBe(200);
    },
  );

  it.each(FORMS)("%s: a body that is not a form → 400 'Not changed'", async (path) => {
    const browser = await signedIn();
    const answer = await browser.fetch(path, {
      method: "POST",
      headers: { "content-type": "application/json", origin: ORIGIN, "sec-fetch-site": "same-origin" },
      body: "{}",
    });
    expect(answer.status).toBe(400);
    const page = await answer.text();
    expect(page).toContain("<h1>Not changed</h1>");
    expect(page).toContain("The form is missing or malformed.");
    expect((await browser.fetch("/account")).status).toBe(200);
  });

  it("/logout from a browser with no session cookie → 303 home, nothing to end; another site's still 403", async () => {
    const home = await new Browser().post("/logout", { csrf: "anything" });
    expect(home.status).toBe(303);
    expect(home.headers.get("location")).toBe("/");
    const forged = await new Browser().post("/logout", { csrf: "anything" }, CROSS_SITE);
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain(FORGED_PAGE);
  });

  it("/authorize (the consent form) without a session → 400: the sign-in ended mid-flow, start again from the client", async () => {
    const answer = await new Browser().post("/authorize", { csrf: "anything", handle: "h" });
    expect(answer.status).toBe(400);
    expect(answer.headers.get("location")).toBeNull();
    expect(await answer.text()).toContain("Your sign-in has ended. Start again from your MCP client.");
  });

  it.each(FORMS.filter(([path, , signedInOnly]) => signedInOnly && path !== "/authorize"))(
    "%s: without a session → 303 to /login",
    async (path) => {
      const answer = await new Browser().post(path, { csrf: "anything" });
      expect(answer.status).toBe(303);
      expect(answer.headers.get("location")).toBe("/login");
    },
  );

  it.each(SCRIPT_POSTS)("%s: from another site or without its token → 403 forbidden JSON", async (path, purpose) => {
    const browser = await signedIn();
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    for (const answer of [await browser.json(path, {}, CROSS_SITE), await browser.json(path, { csrf: "forged" })]) {
      expect(answer.status).toBe(403);
      expect(await answer.json()).toEqual(FORGED_JSON);
    }
    expect(reasons(warn)).toEqual([`${purpose}_cross_origin`, `${purpose}_csrf`]);
  });

  it.each(SCRIPT_POSTS.filter(([, , signedInOnly]) => signedInOnly))(
    "%s: without a session → 401 not_signed_in",
    async (path) => {
      const answer = await call(path, {
        method: "POST",
        headers: { "content-type": "application/json", origin: ORIGIN, "sec-fetch-site": "same-origin" },
        body: JSON.stringify({ csrf: "anything" }),
      });
      expect(answer.status).toBe(401);
      expect(await answer.json()).toEqual({ error: "not_signed_in", error_description: "Sign in first." });
    },
  );
});

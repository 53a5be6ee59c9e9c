import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { Browser, auditOf, call, connected, eventually, hiddenValue, mcp, refresh, testUser } from "./helpers.ts";

/** The grant id and CSRF token of the first Revoke form on /account. */
async function revokeForm(browser: Browser): Promise<{ grant: string; csrf: string; html: string }> {
  const html = await (await browser.fetch("/account")).text();
  return {
    grant: hiddenValue(html, "grant") ?? "",
    csrf: /action="\/account\/revoke">\s*<input type="hidden" name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? "",
    html,
  };
}

describe("/account", () => {
  it("without a session → the login page", async () => {
    const answer = await call("/account");
    expect(answer.status).toBe(303);
    expect(answer.headers.get("location")).toBe("/login");
  });

  it("lists connected apps with name, scopes, since and last used; escapes the name; not frameable", async () => {
    const { browser, tokens } = await connected(`Tom & "Jerry's" app`);
    expect((await mcp(tokens.access_token)).status).toBe(200);
    // The use is recorded after the /mcp answer: read the page until it shows (or the wait ends).
    const { response, html } = await eventually(
      async () => {
        const response = await browser.fetch("/account");
        return { response, html: await response.text() };
      },
      (page) => (page.html.match(/\d{4}-\d\d-\d\d \d\d:\d\d UTC/g) ?? []).length === 2,
    );
    expect(response.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(response.headers.get("content-security-policy")).toContain("script-src 'self';");
    expect(html).toContain("Tom &amp; &quot;Jerry&#39;s&quot; app");
    expect(html).toContain("<code>notes:read</code>");
    // Since and last used: both dates (the MCP call above recorded the use).
    expect(html.match(/\d{4}-\d\d-\d\d \d\d:\d\d UTC/g)).toHaveLength(2);
  });

  it("Revoke ends the grant at once: the token is 401 and its refresh is invalid_grant", async () => {
    const { user, browser, clientId, tokens } = await connected();
    const { grant, csrf } = await revokeForm(browser);
    const answer = await browser.post("/account/revoke", { grant, csrf });
    expect(answer.status).toBe(303);
    expect(answer.headers.get("location")).toBe("/account");
    // Recorded in D1 too, for locations whose KV still holds the grant (test/grants.test.ts).
    const recorded = await env.DB.prepare("SELECT user_id FROM revoked_grants WHERE grant_id = ?")
      .bind(grant)
      .first<{ user_id: string }>();
    expect(recorded).toEqual({ user_id: user.id });
    expect((await mcp(tokens.access_token)).status).toBe(401);
    const refreshed = await refresh(clientId, tokens.refresh_token);
    expect(refreshed.status).toBe(400);
    expect(await refreshed.json()).toMatchObject({ error: "invalid_grant" });
    expect(await (await browser.fetch("/account")).text()).toContain('id="no-apps"');
    const { row } = await auditOf(user.id, (entry) => entry.event === "grant_revoked");
    expect(row).toMatchObject({ clientId, grantId: grant });
  });

  it("a revoke POST for another user's grant id changes nothing (404)", async () => {
    const victim = await connected();
    const { grant } = await revokeForm(victim.browser);
    const attacker = await connected("Attacker's app");
    const { csrf } = await revokeForm(attacker.browser);
    const answer = await attacker.browser.post("/account/revoke", { grant, csrf });
    expect(answer.status).toBe(404);
    expect(await answer.text()).toContain("You have no connected app with that id.");
    expect((await mcp(victim.tokens.access_token)).status).toBe(200);
    const recorded = await env.DB.prepare("SELECT COUNT(*) AS n FROM revoked_grants WHERE grant_id = ?")
      .bind(grant)
      .first<{ n: number }>();
    expect(recorded).toEqual({ n: 0 });
  });

  it("malformed grant ids → 400; a forged or cross-site revoke → 403; nothing changes", async () => {
    const { browser, tokens } = await connected();
    const { grant, csrf } = await revokeForm(browser);
    for (const bad of ["", "../x", "a:b", "x".repeat(200), "<script>", "id with spaces"]) {
      const answer = await browser.post("/account/revoke", { grant: bad, csrf });
      expect(answer.status, bad).toBe(400);
      expect(await answer.text()).toContain("That is not a connected app&#39;s id.");
    }
    const forged = await browser.post("/account/revoke", { grant, csrf: "forged" });
    expect(forged.status).toBe(403);
    const crossSite = await browser.post(
      "/account/revoke",
      { grant, csrf },
      { origin: "https://evil.example", "sec-fetch-site": "cross-site" },
    );
    expect(crossSite.status).toBe(403);
    expect((await mcp(tokens.access_token)).status).toBe(200);
  });

  it("signing in without a return_to lands on /account", async () => {
    const user = await testUser();
    const answer = await new Browser().signIn(user.email);
    expect(answer.headers.get("location")).toBe("/account");
  });
});

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MAX_APPROVALS_PER_USER } from "../src/approvals.ts";
import { listGrants, revokeGrant, type GrantStore } from "../src/grants.ts";
import {
  auditOf,
  authorizePath,
  connected,
  exchangeCode,
  hiddenValue,
  mcp,
  refresh,
  type Browser,
  type Tokens,
} from "./helpers.ts";

// Remembered approvals (src/approvals.ts): what ends them, and when one may skip the page.
const kv = env.OAUTH_KV as unknown as GrantStore;

/** GET /authorize for `clientId` as a top-level navigation with this Sec-Fetch-Site (none: omitted). */
const open = (browser: Browser, clientId: string, site: string | undefined) =>
  browser.fetch(authorizePath(clientId), { headers: site === undefined ? {} : { "sec-fetch-site": site } });

/** Whether an /authorize answer is the consent page (not a redirect with a code). */
async function isConsentPage(answer: Response): Promise<boolean> {
  if (answer.status !== 200) return false;
  return (await answer.text()).includes('name="handle"');
}

const revokedInD1 = async (grantId: string) =>
  (
    await env.DB.prepare("SELECT COUNT(*) AS n FROM revoked_grants WHERE grant_id = ?")
      .bind(grantId)
      .first<{ n: number }>()
  )?.n ?? 0;

describe("remembered approvals", () => {
  it("Revoke on /account ends the approval: the app's next /authorize shows the consent page", async () => {
    const { browser, clientId } = await connected();
    const html = await (await browser.fetch("/account")).text();
    const csrf = /action="\/account\/revoke">\s*<input type="hidden" name="csrf" value="([^"]+)"/.exec(html)?.[1];
    const revoked = await browser.post("/account/revoke", {
      grant: hiddenValue(html, "grant") ?? "",
      csrf: csrf ?? "",
    });
    expect(revoked.status).toBe(303);
    expect(await isConsentPage(await open(browser, clientId, "none"))).toBe(true);
  });

  it("revoking from the CLI ends the approval too", async () => {
    const { user, browser, clientId } = await connected();
    const [grant] = await listGrants(kv, user.id);
    expect(await revokeGrant(env.DB, kv, user.id, grant?.id ?? "")).toMatchObject({ clientId });
    expect(await isConsentPage(await open(browser, clientId, "none"))).toBe(true);
  });

  it.each([["cross-site"], ["same-site"], ["same-origin"], [undefined]])(
    "a navigation the user did not start (Sec-Fetch-Site %s) gets the page, and the live grant keeps working",
    async (site) => {
      const { browser, clientId, tokens } = await connected();
      const answer = await open(browser, clientId, site);
      expect(answer.status).toBe(200);
      const html = await answer.text();
      expect(html).toContain('name="handle"');
      expect(html).toContain("Allow replaces that connection");
      expect((await mcp(tokens.access_token)).status).toBe(200);
      const refreshed = await refresh(clientId, tokens.refresh_token);
      expect(refreshed.status).toBe(200);
    },
  );

  it("a navigation the user started skips the page; the grant it replaces is recorded in D1 and audited", async () => {
    const { user, browser, clientId, tokens } = await connected();
    const [old] = await listGrants(kv, user.id);
    const answer = await open(browser, clientId, "none");
    expect(answer.status).toBe(302);
    const code = new URL(answer.headers.get("location") ?? "").searchParams.get("code") ?? "";
    expect((await exchangeCode(clientId, code)).status).toBe(200);
    expect((await mcp(tokens.access_token)).status).toBe(401);
    // Recorded in D1, so /mcp refuses the replaced grant everywhere within seconds, not a minute.
    expect(await revokedInD1(old?.id ?? "")).toBe(1);
    const [fresh] = await listGrants(kv, user.id);
    const { row, rows } = await auditOf(user.id, (entry) => entry.event === "grant_revoked");
    expect(row).toMatchObject({
      outcome: "ok",
      clientId,
      grantId: old?.id,
      detail: "replaced",
    });
    // Every grant_created row names its grant.
    const created = rows.filter((row) => row.event === "grant_created").map((row) => row.grantId);
    expect(created.sort()).toEqual([old?.id, fresh?.id].sort());
  });

  it("Allow on the page that warned replaces the live grant, recorded the same way", async () => {
    const { user, browser, clientId, tokens } = await connected();
    const [old] = await listGrants(kv, user.id);
    const html = await (await open(browser, clientId, "cross-site")).text();
    const approved = await browser.post("/authorize", {
      handle: hiddenValue(html, "handle") ?? "",
      csrf: hiddenValue(html, "csrf") ?? "",
      decision: "approve",
      scope: "notes:read",
    });
    expect(approved.status).toBe(302);
    const code = new URL(approved.headers.get("location") ?? "").searchParams.get("code") ?? "";
    const next = await (await exchangeCode(clientId, code)).json<Tokens>();
    expect((await mcp(next.access_token)).status).toBe(200);
    expect((await mcp(tokens.access_token)).status).toBe(401);
    expect(await revokedInD1(old?.id ?? "")).toBe(1);
  });

  it("Deny forgets the approval, and its audit row names the client", async () => {
    const { user, browser, clientId, tokens } = await connected();
    const html = await (await open(browser, clientId, "cross-site")).text();
    const denied = await browser.post("/authorize", {
      handle: hiddenValue(html, "handle") ?? "",
      csrf: hiddenValue(html, "csrf") ?? "",
      decision: "deny",
    });
    expect(new URL(denied.headers.get("location") ?? "").searchParams.get("error")).toBe("access_denied");
    // Denying a new request leaves the live connection alone.
    expect((await mcp(tokens.access_token)).status).toBe(200);
    expect(await isConsentPage(await open(browser, clientId, "none"))).toBe(true);
    const { row } = await auditOf(user.id, (entry) => entry.event === "consent" && entry.outcome === "denied");
    expect(row).toMatchObject({ event: "consent", clientId });
  });

  it("an approval covers only its scopes, redirect URI and resource", async () => {
    const { browser, clientId } = await connected();
    const other = (extra: Record<string, string | undefined>) =>
      browser.fetch(authorizePath(clientId, extra), { headers: { "sec-fetch-site": "none" } });
    expect(await isConsentPage(await other({ scope: "notes:read notes:write" }))).toBe(true);
    expect(await isConsentPage(await other({ scope: undefined }))).toBe(true);
  });

  it("a user keeps a bounded number of approvals, the newest", async () => {
    const { user, browser, clientId } = await connected();
    const old = Math.floor(Date.now() / 1000) - 60;
    for (let index = 0; index < MAX_APPROVALS_PER_USER + 10; index++) {
      await env.DB.prepare(
        "INSERT INTO approvals (user_id, client_id, redirect_uri, resource, scopes, approved_at, expires_at) VALUES (?, ?, ?, '', 'notes:read', ?, ?)",
      )
        .bind(user.id, `old-client-${String(index)}`, "http://127.0.0.1:1/callback", old, old + 3600)
        .run();
    }
    // Allow on the page (another site's navigation shows it over the live grant) stores one more.
    const html = await (await open(browser, clientId, "cross-site")).text();
    await browser.post("/authorize", {
      handle: hiddenValue(html, "handle") ?? "",
      csrf: hiddenValue(html, "csrf") ?? "",
      decision: "approve",
      scope: "notes:read",
    });
    const { results } = await env.DB.prepare("SELECT client_id FROM approvals WHERE user_id = ?")
      .bind(user.id)
      .all<{ client_id: string }>();
    expect(results).toHaveLength(MAX_APPROVALS_PER_USER);
    expect(results.map((row) => row.client_id)).toContain(clientId);
  });
});

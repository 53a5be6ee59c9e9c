import { describeRefreshReuse } from "@mcp-auth/auth-common/testing";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, callWith, githubGrant } from "./helpers.ts";

// Refresh-token reuse (auth-common's RefreshLedger): the same cases as full-oauth-provider's. A
// grant is made as /callback makes one after a GitHub sign-in (the library's
// completeAuthorization with the user's GitHub token in its props), without a browser; each
// refresh then asks the fake GitHub token check (test/fake-github-api.ts) whether it stands.
// A reuse has no audit table here: its record is the `request_refused` `refresh_reuse_detected`
// log line.

describeRefreshReuse({ call, ledgers: env.REFRESH_LEDGER, grant: githubGrant });

describe("a refresh ledger that does not answer", () => {
  it("→ 503 temporarily_unavailable with Retry-After, the library not asked: the same token refreshes once it answers", async () => {
    const grant = await githubGrant();
    const broken = {
      idFromName: (name: string) => env.REFRESH_LEDGER.idFromName(name),
      get: () => ({ begin: () => Promise.reject(new Error("Durable Object reset because its code was updated.")) }),
    } as unknown as Env["REFRESH_LEDGER"];
    const form = { grant_type: "refresh_token", refresh_token: grant.refreshToken, client_id: grant.clientId };
    const init = {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "cf-connecting-ip": "192.0.2.55" },
      body: new URLSearchParams(form),
    };
    const refused = await callWith({ REFRESH_LEDGER: broken }, "/token", init);
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("5");
    expect(await refused.json()).toEqual({
      error: "temporarily_unavailable",
      error_description: "Refreshing is briefly unavailable; try again shortly.",
    });
    const renewed = await call("/token", { ...init, body: new URLSearchParams(form) });
    expect(renewed.status).toBe(200);
  });
});

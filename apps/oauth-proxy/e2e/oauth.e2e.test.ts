import { describeDiscovery } from "@mcp-auth/auth-common/testing/node";
import {
  authorizationUrl,
  authorize,
  exchange,
  HeadlessBrowser,
  postMcp,
  refresh,
  register,
  revoke,
  signIn,
  tokenRequest,
} from "@mcp-auth/dev-harness";
import { resultText, whoamiWithToken } from "@mcp-auth/mcp-core/testing";
import * as oauth from "oauth4webapi";
import { describe, expect, inject, it } from "vitest";

const origin = () => inject("origin");

const whoami = (accessToken: string, at = origin()) => whoamiWithToken(at, accessToken);

async function revokeUpstream(login: string): Promise<void> {
  const response = await fetch(`${inject("devIdp").controlUrl}/revoke-grants?account=${encodeURIComponent(login)}`, {
    method: "POST",
  });
  expect(response.status).toBe(200);
}

describe("the whole flow with oauth4webapi as the strict peer", () => {
  it("register → consent → dev-idp login → code (iss checked) → token → tools as the upstream user → refresh → revoke", async () => {
    const peer = await register(origin());
    const flow = await authorize(peer, { scope: "notes:read notes:write" }, { login: "alice" });
    expect(flow.consentPagesSeen).toBe(1);
    expect(flow.idpLoginsSeen).toBe(1);
    expect(flow.callback.searchParams.get("iss")).toBe(origin());
    const tokens = await exchange(peer, flow.callback, flow.state, flow.codeVerifier);
    expect(tokens.scope.split(" ").sort()).toEqual(["notes:read", "notes:write"]);

    const me = await whoami(tokens.accessToken);
    expect(me.isError ?? false).toBe(false);
    expect(me.structuredContent).toMatchObject({
      pattern: "oauth-proxy",
      method: "oauth",
      subject: "alice",
      displayName: "Alice",
      issuer: inject("devIdp").issuer,
      clientId: peer.client.client_id,
    });
    // Our token is not the upstream one, and no token of any kind reaches a tool result.
    expect(JSON.stringify(me)).not.toContain(tokens.accessToken);
    expect(JSON.stringify(me)).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);

    const renewed = await refresh(peer, tokens.refreshToken);
    expect(renewed.accessToken).not.toBe(tokens.accessToken);
    expect(resultText(await whoami(renewed.accessToken))).toContain("alice");

    await revoke(peer, renewed.refreshToken);
    const after = await tokenRequest(peer, {
      grant_type: "refresh_token",
      refresh_token: renewed.refreshToken,
      client_id: peer.client.client_id,
    });
    expect(after.status).toBe(400);
    expect(after.body["error"]).toBe("invalid_grant");
  });

  it("a user who revokes this app at the IdP ends the grant at the next refresh (invalid_grant), with an hour left on the upstream token", async () => {
    const { peer, tokens } = await signIn(origin(), { login: "revoker" });
    expect(resultText(await whoami(tokens.accessToken))).toContain("revoker");
    await revokeUpstream("revoker");
    const response = await tokenRequest(peer, {
      grant_type: "refresh_token",
      refresh_token: tokens.refreshToken,
      client_id: peer.client.client_id,
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      error: "invalid_grant",
      error_description: "The identity provider no longer accepts this sign-in; authorize again.",
    });
    // The grant is gone with its tokens: the access token stops working too.
    const mcp = await postMcp(origin(), tokens.accessToken);
    expect(mcp.status).toBe(401);
  });

  it("concurrent refreshes of one grant reach the rotating IdP one at a time: each is a 200 or the in-progress invalid_grant, and the grant lives on", async () => {
    const { peer, tokens } = await signIn(origin(), { login: "racer" });
    const refreshWith = (refreshToken: string) =>
      tokenRequest(peer, {
        grant_type: "refresh_token",
        refresh_token: refreshToken,
        client_id: peer.client.client_id,
      });
    const pair = await Promise.all([refreshWith(tokens.refreshToken), refreshWith(tokens.refreshToken)]);
    // Overlapping, the grant's RefreshLedger lets one through and refuses the other before the
    // IdP is asked; one after the other, the second is the library's grace retry. Never both at
    // the IdP with the same upstream refresh token.
    const won = pair.filter((answer) => answer.status === 200);
    expect(won.length).toBeGreaterThanOrEqual(1);
    for (const answer of pair.filter((each) => each.status !== 200)) {
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({
        error: "invalid_grant",
        error_description: "Another refresh of this grant is in progress; try again shortly.",
      });
    }
    for (const answer of won) {
      expect(resultText(await whoami(String(answer.body["access_token"])))).toContain("racer");
    }
    // The library keeps only the last refresh's token; whichever it is, the upstream sign-in
    // behind it is still good (no reused upstream refresh token revoked it). One at a time: two
    // refreshes at once would be the race above again.
    const later = [];
    for (const answer of won) later.push(await refreshWith(String(answer.body["refresh_token"])));
    expect(later.map((answer) => answer.status)).toContain(200);
  });
});

describe("consent before upstream, per client (confused deputy)", () => {
  it("a second client in a browser with an IdP session still sees our consent page first", async () => {
    const browser = new HeadlessBrowser();
    const first = await authorize(await register(origin()), {}, { login: "carol", browser });
    expect([first.consentPagesSeen, first.idpLoginsSeen]).toEqual([1, 1]);
    const second = await authorize(await register(origin(), { client_name: "another app" }), {}, { browser });
    expect(second.consentPagesSeen).toBe(1);
    // The IdP session was reused (no login) — so only our page stood between the new client and the user.
    expect(second.idpLoginsSeen).toBe(0);
    expect(second.callback.searchParams.get("code")).toBeTruthy();
    // Our consent page came before any request to the IdP.
    const firstIdpHop = second.steps.findIndex((step) => step.url.startsWith(inject("devIdp").issuer));
    const consentHop = second.steps.findIndex((step) => new URL(step.url).pathname === "/authorize");
    expect(consentHop).toBeGreaterThanOrEqual(0);
    expect(consentHop).toBeLessThan(firstIdpHop);
  });

  it("Deny returns access_denied with state and iss to the registered redirect, and nothing is issued", async () => {
    const peer = await register(origin());
    const flow = await authorize(peer, {}, { consent: { decision: "deny" } });
    expect(flow.callback.origin + flow.callback.pathname).toBe(peer.redirectUri);
    expect(flow.callback.searchParams.get("error")).toBe("access_denied");
    expect(flow.callback.searchParams.get("state")).toBe(flow.state);
    expect(flow.callback.searchParams.get("iss")).toBe(origin());
    expect(flow.callback.searchParams.get("code")).toBeNull();
    expect(flow.idpLoginsSeen).toBe(0);
    expect(() => oauth.validateAuthResponse(peer.as, peer.client, flow.callback, flow.state)).toThrow();
  });

  it("a scope the client asked for but we do not know is never granted", async () => {
    const peer = await register(origin());
    const flow = await authorize(peer, { scope: "notes:read admin:all" });
    const tokens = await exchange(peer, flow.callback, flow.state, flow.codeVerifier);
    expect(tokens.scope).toBe("notes:read");
  });
});

describe("the upstream callback, with the real IdP (mix-up and state attacks)", () => {
  /** Rewrites the IdP's redirect back to our /callback. */
  const atCallback = (change: (url: URL) => void) => (target: URL) => {
    if (target.origin === origin() && target.pathname === "/callback") change(target);
    return target;
  };

  it("a wrong iss on our callback (mix-up): the client gets access_denied, and no code exists", async () => {
    const peer = await register(origin());
    const flow = await authorize(
      peer,
      {},
      {
        login: "mixup",
        rewriteRedirect: atCallback((url) => {
          url.searchParams.set("iss", "https://attacker.example");
        }),
      },
    );
    expect(flow.callback.searchParams.get("error")).toBe("access_denied");
    expect(flow.callback.searchParams.get("error_description")).toMatch(/could not be verified/);
    expect(flow.callback.searchParams.get("state")).toBe(flow.state);
    expect(flow.callback.searchParams.get("code")).toBeNull();
  });

  it("a state that is not this browser's → 400 page at our callback, no redirect to the client", async () => {
    const other = await authorizationUrl(await register(origin()));
    const peer = await register(origin());
    await expect(
      authorize(
        peer,
        {},
        {
          login: "swapper",
          rewriteRedirect: atCallback((url) => {
            url.searchParams.set("state", other.state);
          }),
        },
      ),
    ).rejects.toThrow(/\/callback.*HTTP 400/);
  });
});

// Discovery and the PUBLIC_ORIGIN binding, shared with full-oauth-provider.
describeDiscovery({ origin, aliasOrigin: () => inject("aliasOrigin") });

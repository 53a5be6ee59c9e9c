import { describeDiscovery } from "@mcp-auth/auth-common/testing/node";
import { authorize, exchange, postMcp, refresh, register, revoke, tokenRequest } from "@mcp-auth/dev-harness";
import { whoamiWithToken } from "@mcp-auth/mcp-core/testing";
import { describe, expect, inject, it } from "vitest";
import { signInAs } from "./flow.ts";

const origin = () => inject("origin");

const whoami = (accessToken: string) => whoamiWithToken(origin(), accessToken);

// Discovery and the PUBLIC_ORIGIN binding, shared with oauth-proxy.
describeDiscovery({
  origin,
  aliasOrigin: () => inject("aliasOrigin"),
  signInAs: (login) => signInAs(inject("accounts"), login),
});

describe("the whole flow with oauth4webapi as the strict peer", () => {
  it("register → our login → our consent → code (iss checked) → token → tools as this server's user → refresh → revoke", async () => {
    const peer = await register(origin());
    const flow = await authorize(
      peer,
      { scope: "notes:read notes:write" },
      signInAs(inject("accounts"), "strict-peer"),
    );
    expect(flow.idpLoginsSeen).toBe(1);
    expect(flow.consentPagesSeen).toBe(1);
    expect(flow.callback.searchParams.get("iss")).toBe(origin());
    const tokens = await exchange(peer, flow.callback, flow.state, flow.codeVerifier);
    expect(tokens.scope.split(" ").sort()).toEqual(["notes:read", "notes:write"]);

    const me = await whoami(tokens.accessToken);
    expect(me.structuredContent).toMatchObject({
      pattern: "full-oauth-provider",
      method: "oauth",
      displayName: "strict-peer",
      issuer: origin(),
      clientId: peer.client.client_id,
    });
    expect((me.structuredContent as { subject: string }).subject).toMatch(/^u_[0-9a-f]{32}$/);
    expect(JSON.stringify(me)).not.toContain(tokens.accessToken);

    const renewed = await refresh(peer, tokens.refreshToken);
    expect(renewed.accessToken).not.toBe(tokens.accessToken);
    await revoke(peer, renewed.refreshToken);
    const after = await tokenRequest(peer, {
      grant_type: "refresh_token",
      refresh_token: renewed.refreshToken,
      client_id: peer.client.client_id,
    });
    expect(after.status).toBe(400);
    expect(after.body["error"]).toBe("invalid_grant");
    const mcp = await postMcp(origin(), renewed.accessToken);
    expect(mcp.status).toBe(401);
    await mcp.body?.cancel();
  });

  it("Deny returns access_denied with state and iss, and nothing is issued", async () => {
    const peer = await register(origin());
    const flow = await authorize(
      peer,
      {},
      { ...signInAs(inject("accounts"), "strict-peer"), consent: { decision: "deny" } },
    );
    expect(flow.callback.searchParams.get("error")).toBe("access_denied");
    expect(flow.callback.searchParams.get("state")).toBe(flow.state);
    expect(flow.callback.searchParams.get("iss")).toBe(origin());
    expect(flow.callback.searchParams.has("code")).toBe(false);
  });

  it("a scope the client asked for but this server does not know is never granted", async () => {
    const peer = await register(origin());
    const flow = await authorize(peer, { scope: "notes:read admin:all" }, signInAs(inject("accounts"), "strict-peer"));
    const tokens = await exchange(peer, flow.callback, flow.state, flow.codeVerifier);
    expect(tokens.scope).toBe("notes:read");
  });
});

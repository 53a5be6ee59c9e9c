import { authorize, DEV_PROXY_CLIENT, exchange, postMcp, refresh, register, tokenRequest } from "@mcp-auth/dev-harness";
import { expect, inject, it } from "vitest";

/** The Worker's recent log lines, as `wrangler dev` printed them. */
async function workerLog(): Promise<string> {
  return (await fetch(inject("logTapUrl"))).text();
}

it("refusals are logged with a stable reason, and no token, code or secret ever reaches a log line", async () => {
  const peer = await register(inject("origin"));
  const flow = await authorize(peer, {}, { login: "logwatcher" });
  const code = flow.callback.searchParams.get("code") ?? "";
  const tokens = await exchange(peer, flow.callback, flow.state, flow.codeVerifier);
  const renewed = await refresh(peer, tokens.refreshToken);
  // Refusals an operator must see: no token, a made-up token, a replayed code, a bad refresh.
  await (await postMcp(inject("origin"))).body?.cancel();
  await (await postMcp(inject("origin"), "made-up-token-0123456789")).body?.cancel();
  const replay = await tokenRequest(peer, {
    grant_type: "authorization_code",
    code,
    redirect_uri: peer.redirectUri,
    client_id: peer.client.client_id,
    code_verifier: flow.codeVerifier,
  });
  expect(replay.body["error"]).toBe("invalid_grant");
  await tokenRequest(peer, {
    grant_type: "refresh_token",
    refresh_token: "not-a-refresh-token",
    client_id: peer.client.client_id,
  });

  const log = await workerLog();
  const refusals = log
    .split("\n")
    .filter((line) => line.includes('"event":"request_refused"'))
    .map((line) => JSON.parse(line.slice(line.indexOf("{"))) as { reason: string; status: number; path: string });
  expect(refusals).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ reason: "missing_token", status: 401, path: "/mcp" }),
      expect.objectContaining({ reason: "invalid_token", status: 401, path: "/mcp" }),
      expect.objectContaining({
        status: 400,
        path: "/token",
        reason: expect.stringContaining("invalid_grant") as string,
      }),
    ]),
  );
  for (const secret of [
    code,
    tokens.accessToken,
    tokens.refreshToken,
    renewed.accessToken,
    renewed.refreshToken,
    "made-up-token-0123456789",
    "not-a-refresh-token",
    DEV_PROXY_CLIENT.clientSecret,
  ]) {
    expect(log).not.toContain(secret);
  }
  // dev-idp's ID and access tokens are JWTs: none of them may appear either.
  expect(log).not.toMatch(/eyJ[A-Za-z0-9_-]{20,}\.eyJ/);
});

import { GrantType, OAuthError, type TokenExchangeCallbackOptions } from "@cloudflare/workers-oauth-provider";
import { UpstreamError, type UpstreamClient, type UpstreamTokens } from "@mcp-auth/auth-common";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { UPSTREAM_REFRESH_MARGIN_SECONDS, refreshUpstream } from "../src/refresh.ts";

const NOW = 1_800_000_000;

/** An upstream whose refresh answers as told, counting calls. */
function upstream(answer: () => Promise<UpstreamTokens>): UpstreamClient & { calls: string[] } {
  const calls: string[] = [];
  const unused = () => Promise.reject(new Error("not used by refresh"));
  return {
    kind: "oidc",
    calls,
    prepare: () => ({ codeVerifier: "v" }),
    authorizationOrigin: unused,
    authorizationUrl: unused,
    start: unused,
    finish: unused,
    refresh: (token) => {
      calls.push(token);
      return answer();
    },
  };
}

function options(
  expiresAt: number | undefined,
  grantType = GrantType.REFRESH_TOKEN,
  refreshToken: string | null = "up-refresh-1",
) {
  return {
    grantType,
    clientId: "client",
    subjectClientId: "client",
    userId: "user",
    grantId: "grant",
    scope: ["notes:read"],
    requestedScope: ["notes:read"],
    resource: "http://localhost:8789/mcp",
    env,
    props: {
      subject: "alice",
      issuer: "http://127.0.0.1:8791",
      upstream: {
        accessToken: "up-access-1",
        ...(refreshToken === null ? {} : { refreshToken }),
        ...(expiresAt === undefined ? {} : { expiresAt }),
      },
    },
  } satisfies TokenExchangeCallbackOptions<Env>;
}

const clock = () => NOW;
const renewed = { accessToken: "up-access-2", refreshToken: "up-refresh-2", expiresAt: NOW + 3600 };

describe("refreshing the upstream token with ours", () => {
  it("does nothing at the code exchange, or while the upstream token has time left", async () => {
    const idle = upstream(() => Promise.resolve(renewed));
    expect(await refreshUpstream(options(NOW + 10, GrantType.AUTHORIZATION_CODE), idle, clock)).toBeUndefined();
    expect(await refreshUpstream(options(NOW + UPSTREAM_REFRESH_MARGIN_SECONDS + 1), idle, clock)).toBeUndefined();
    expect(await refreshUpstream(options(undefined), idle, clock)).toBeUndefined();
    expect(idle.calls).toEqual([]);
  });

  it("near expiry: refreshes upstream and stores the new tokens in the grant", async () => {
    const live = upstream(() => Promise.resolve(renewed));
    const result = await refreshUpstream(options(NOW + 60), live, clock);
    expect(live.calls).toEqual(["up-refresh-1"]);
    expect(result?.newProps).toMatchObject({ subject: "alice", upstream: renewed });
  });

  it("keeps the upstream refresh token when the IdP does not rotate it", async () => {
    const live = upstream(() => Promise.resolve({ accessToken: "up-access-2", expiresAt: NOW + 3600 }));
    const result = await refreshUpstream(options(NOW + 60), live, clock);
    expect(result?.newProps).toMatchObject({ upstream: { accessToken: "up-access-2", refreshToken: "up-refresh-1" } });
  });

  it("upstream invalid_grant (the user revoked this app there) → invalid_grant, which ends our grant", async () => {
    const revoked = upstream(() => Promise.reject(new UpstreamError("invalid_grant", "the refresh token was refused")));
    const error = await refreshUpstream(options(NOW + 60), revoked, clock).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OAuthError);
    expect(error).toMatchObject({ code: "invalid_grant", statusCode: 400 });
    expect((error as OAuthError).description).toMatch(/authorize again/);
  });

  it("an upstream outage → temporarily_unavailable (503, Retry-After), the grant kept for the retry", async () => {
    const down = upstream(() => Promise.reject(new UpstreamError("temporarily_unavailable", "HTTP 503")));
    const error = await refreshUpstream(options(NOW + 60), down, clock).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "temporarily_unavailable", statusCode: 503, headers: { "Retry-After": "30" } });
    expect(JSON.stringify(error)).not.toContain("up-refresh-1");
  });

  it("near expiry without an upstream refresh token → invalid_grant (sign in again)", async () => {
    const never = upstream(() => Promise.resolve(renewed));
    await expect(refreshUpstream(options(NOW + 60, GrantType.REFRESH_TOKEN, null), never, clock)).rejects.toMatchObject(
      {
        code: "invalid_grant",
      },
    );
    expect(never.calls).toEqual([]);
  });
});

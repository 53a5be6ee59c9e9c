import { GrantType, OAuthError, type TokenExchangeCallbackOptions } from "@cloudflare/workers-oauth-provider";
import { UpstreamError, type UpstreamClient, type UpstreamTokens } from "@mcp-auth/auth-common/upstream";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { refreshUpstream } from "../src/refresh.ts";
import { SerialRevalidator, type Revalidate, type Revalidated } from "../src/upstream-gate.ts";

const NOW = Math.floor(Date.now() / 1000);

/** A grant's upstream tokens with a whole hour left: the case the old margin never checked. */
const HELD: UpstreamTokens = { accessToken: "up-access-1", refreshToken: "up-refresh-1", expiresAt: NOW + 3600 };

function options(grantType = GrantType.REFRESH_TOKEN, upstream: UpstreamTokens | null = HELD) {
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
      ...(upstream === null ? {} : { upstream }),
    },
  } satisfies TokenExchangeCallbackOptions<Env>;
}

/** A gate that answers as told and records what it was asked. */
function gate(answer: Revalidated): Revalidate & { asked: Parameters<Revalidate>[0][] } {
  const asked: Parameters<Revalidate>[0][] = [];
  return Object.assign(
    (grant: Parameters<Revalidate>[0]) => {
      asked.push(grant);
      return Promise.resolve(answer);
    },
    { asked },
  );
}

const renewed = { accessToken: "up-access-2", refreshToken: "up-refresh-2", expiresAt: NOW + 3600 };

describe("every refresh of ours asks the upstream", () => {
  it("not at the code exchange", async () => {
    const idle = gate({ tokens: renewed });
    expect(await refreshUpstream(options(GrantType.AUTHORIZATION_CODE), idle)).toBeUndefined();
    expect(idle.asked).toEqual([]);
  });

  it("at every refresh, even with an hour left upstream: the grant's subject and tokens go to its gate, the renewed tokens into the grant", async () => {
    const live = gate({ tokens: renewed });
    const result = await refreshUpstream(options(), live);
    expect(live.asked).toEqual([{ userId: "user", grantId: "grant", subject: "alice", tokens: HELD }]);
    expect(result?.newProps).toMatchObject({ subject: "alice", upstream: renewed });
  });

  it("a check that keeps the tokens (UserInfo, GitHub's token check) leaves the grant's props as they are", async () => {
    expect(await refreshUpstream(options(), gate({ tokens: { ...HELD } }))).toBeUndefined();
  });

  it.each(["invalid_grant", "invalid_response", "access_denied"] as const)(
    "upstream %s (the user revoked this app there) → invalid_grant, which ends our grant",
    async (code) => {
      const error = await refreshUpstream(options(), gate({ error: code, reason: "refused" })).catch(
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(OAuthError);
      expect(error).toMatchObject({ code: "invalid_grant", statusCode: 400 });
      expect((error as OAuthError).description).toBe(
        "The identity provider no longer accepts this sign-in; authorize again.",
      );
    },
  );

  it("an upstream outage → temporarily_unavailable (503, Retry-After), the grant kept for the retry", async () => {
    const down = gate({ error: "temporarily_unavailable", reason: "HTTP 503" });
    const error = await refreshUpstream(options(), down).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "temporarily_unavailable", statusCode: 503, headers: { "Retry-After": "30" } });
    expect((error as OAuthError).description).toBe("The identity provider is not answering; try again shortly.");
    expect(JSON.stringify(error)).not.toContain("up-refresh-1");
  });

  it("a gate that fails (its Durable Object reset) → temporarily_unavailable, never a revoke", async () => {
    const broken: Revalidate = () => Promise.reject(new Error("Durable Object reset because its code was updated."));
    await expect(refreshUpstream(options(), broken)).rejects.toMatchObject({
      code: "temporarily_unavailable",
      statusCode: 503,
      description: "The identity provider is not answering; try again shortly.",
    });
  });

  it("a grant without an upstream sign-in → invalid_grant, nothing asked", async () => {
    const never = gate({ tokens: renewed });
    await expect(refreshUpstream(options(GrantType.REFRESH_TOKEN, null), never)).rejects.toMatchObject({
      code: "invalid_grant",
      description: "This grant holds no sign-in at the identity provider; authorize again.",
    });
    expect(never.asked).toEqual([]);
  });
});

/** An upstream that rotates its refresh token at each check, each check held until released. */
function rotatingUpstream() {
  const asked: string[] = [];
  const releases: (() => void)[] = [];
  let rotation = 1;
  const unused = () => Promise.reject(new Error("not used by revalidate"));
  const client: UpstreamClient = {
    kind: "oidc",
    prepare: () => ({ codeVerifier: "v" }),
    authorizationOrigin: unused,
    authorizationUrl: unused,
    start: unused,
    finish: unused,
    refresh: unused,
    revalidate: async ({ tokens }) => {
      asked.push(tokens.refreshToken ?? "");
      await new Promise<void>((resolve) => releases.push(resolve));
      if (tokens.refreshToken === "revoked") throw new UpstreamError("invalid_grant", "refused");
      rotation += 1;
      return { accessToken: `up-access-${rotation}`, refreshToken: `up-refresh-${rotation}` };
    },
  };
  return { client, asked, releases };
}

/** Lets every pending promise callback run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("one upstream call at a time per grant", () => {
  it("two concurrent refreshes with the same props: the second waits, then continues from the first's rotated token", async () => {
    const upstream = rotatingUpstream();
    const serial = new SerialRevalidator(() => upstream.client);
    const first = serial.revalidate("alice", HELD);
    const second = serial.revalidate("alice", HELD);
    await settle();
    expect(upstream.asked).toEqual(["up-refresh-1"]);
    upstream.releases[0]?.();
    expect(await first).toEqual({ tokens: { accessToken: "up-access-2", refreshToken: "up-refresh-2" } });
    await settle();
    expect(upstream.asked).toEqual(["up-refresh-1", "up-refresh-2"]);
    upstream.releases[1]?.();
    expect(await second).toEqual({ tokens: { accessToken: "up-access-3", refreshToken: "up-refresh-3" } });
    // A late one with the oldest props follows the chain to the newest token, never reuses one.
    const late = serial.revalidate("alice", HELD);
    await settle();
    upstream.releases[2]?.();
    await late;
    expect(upstream.asked).toEqual(["up-refresh-1", "up-refresh-2", "up-refresh-3"]);
  });

  it("an upstream refusal is an answer, not a stuck queue: the next check runs", async () => {
    const upstream = rotatingUpstream();
    const serial = new SerialRevalidator(() => upstream.client);
    const refused = serial.revalidate("alice", { accessToken: "a", refreshToken: "revoked" });
    const next = serial.revalidate("alice", HELD);
    await settle();
    upstream.releases[0]?.();
    expect(await refused).toEqual({ error: "invalid_grant", reason: "refused" });
    await settle();
    upstream.releases[1]?.();
    expect(await next).toMatchObject({ tokens: { refreshToken: "up-refresh-2" } });
  });
});

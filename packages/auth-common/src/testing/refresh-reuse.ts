// Refresh-token rotation and reuse (attack-cases.md "Authorization server", RFC 9700 §4.14.2) as
// both OAuth apps answer it: the grace retry after a lost answer, reuse of a token whose
// successor was used (the grant ends), and two refreshes of one token racing (one winner).
// Run inside workerd by each app's tests.
import { describe, expect, it } from "vitest";
import type { RefreshLedger } from "../authorization-server/refresh-reuse.ts";
import { sha256Hex } from "../verifier.ts";
import { tokenRequest, type WorkerCall } from "./index.ts";
import { GRANT_ENDED_DESCRIPTION, IN_PROGRESS_DESCRIPTION, REUSE_DESCRIPTION } from "./refresh-messages.ts";

/** The tokens of a grant's code exchange, and its public client. */
export interface IssuedGrant {
  clientId: string;
  accessToken: string;
  refreshToken: string;
}

/** The app under test: how to call it, and how to get a new grant (its own user each time). */
export interface RefreshReuseTarget {
  call: WorkerCall;
  grant: () => Promise<IssuedGrant>;
  /** The app's `REFRESH_LEDGER` binding, to hold a grant's ledger as a refresh in progress does. */
  ledgers: DurableObjectNamespace<RefreshLedger>;
}

/** The cases, run by each OAuth app's workerd tests; `target.grant` makes each test's grant. */
export function describeRefreshReuse(target: RefreshReuseTarget): void {
  const { call } = target;

  const refresh = (clientId: string, refreshToken: string) =>
    tokenRequest(call, { grant_type: "refresh_token", refresh_token: refreshToken, client_id: clientId });

  /** A refresh that must succeed: its new tokens. */
  async function refreshed(clientId: string, refreshToken: string): Promise<IssuedGrant> {
    const answer = await refresh(clientId, refreshToken);
    expect(answer.status).toBe(200);
    const body = await answer.json<{ access_token: string; refresh_token: string }>();
    return { clientId, accessToken: body.access_token, refreshToken: body.refresh_token };
  }

  /** A refresh that must be refused: status, error and description, nothing issued. */
  async function expectRefused(answer: Response, error: string, description: string): Promise<void> {
    expect(answer.status).toBe(400);
    expect(answer.headers.get("cache-control")).toBe("no-store");
    expect(await answer.json()).toEqual({ error, error_description: description });
  }

  /** The status /mcp answers tools/list with this access token. */
  async function mcpStatus(accessToken: string): Promise<number> {
    const response = await call("/mcp", {
      method: "POST",
      headers: {
        authorization: `Bearer ${accessToken}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    await response.body?.cancel();
    return response.status;
  }

  describe("refresh-token reuse (RFC 9700 §4.14.2)", () => {
    it("the grace retry (the previous token again before its successor was used) → 200, and the retry's token works", async () => {
      const t0 = await target.grant();
      const t1 = await refreshed(t0.clientId, t0.refreshToken);
      // The answer with t1 was lost: the client retries with t0, and uses what it gets back.
      const t2 = await refreshed(t0.clientId, t0.refreshToken);
      const t3 = await refreshed(t0.clientId, t2.refreshToken);
      expect(await mcpStatus(t3.accessToken)).toBe(200);
      // t1 was never used: the library refuses it as unknown, which is no reuse (nothing revoked).
      await expectRefused(await refresh(t0.clientId, t1.refreshToken), "invalid_grant", "Invalid refresh token");
      expect(await mcpStatus(t3.accessToken)).toBe(200);
      await refreshed(t0.clientId, t3.refreshToken);
    });

    it("a token used again after its successor was used → 400 invalid_grant; the grant is revoked with every access and refresh token", async () => {
      const t0 = await target.grant();
      const t1 = await refreshed(t0.clientId, t0.refreshToken);
      const t2 = await refreshed(t0.clientId, t1.refreshToken);
      expect(await mcpStatus(t2.accessToken)).toBe(200);

      // t0 is presented again (a thief's copy, or the client's stale one): the grant ends.
      await expectRefused(await refresh(t0.clientId, t0.refreshToken), "invalid_grant", REUSE_DESCRIPTION);
      for (const accessToken of [t0.accessToken, t1.accessToken, t2.accessToken]) {
        expect(await mcpStatus(accessToken)).toBe(401);
      }
      await expectRefused(await refresh(t0.clientId, t2.refreshToken), "invalid_grant", GRANT_ENDED_DESCRIPTION);
      await expectRefused(await refresh(t0.clientId, t1.refreshToken), "invalid_grant", GRANT_ENDED_DESCRIPTION);
    });

    it("a reused token is a reuse however far back: the first of four rotations → revoked", async () => {
      const t0 = await target.grant();
      let latest = t0;
      for (let rotation = 0; rotation < 4; rotation++) latest = await refreshed(t0.clientId, latest.refreshToken);
      await expectRefused(await refresh(t0.clientId, t0.refreshToken), "invalid_grant", REUSE_DESCRIPTION);
      expect(await mcpStatus(latest.accessToken)).toBe(401);
    });

    it("a refresh while another refresh of the grant is in progress → 400 invalid_grant, nothing changed; once it ends, the same token refreshes", async () => {
      const t0 = await target.grant();
      const [userId, grantId] = t0.refreshToken.split(":");
      const ledger = target.ledgers.get(target.ledgers.idFromName(`${userId}:${grantId}`));
      // What the other refresh's Worker holds between asking the library and hearing its answer.
      const turn = await ledger.begin(await sha256Hex(t0.refreshToken));
      if ("busy" in turn) throw new Error("the grant's ledger was already held");
      await expectRefused(await refresh(t0.clientId, t0.refreshToken), "invalid_grant", IN_PROGRESS_DESCRIPTION);
      expect(await mcpStatus(t0.accessToken)).toBe(200);
      await ledger.finish(turn.lease, undefined);
      const t1 = await refreshed(t0.clientId, t0.refreshToken);
      expect(await mcpStatus(t1.accessToken)).toBe(200);
    });

    it("two refreshes of one token sent at once → one live successor, whichever way they interleave; nothing revoked", async () => {
      const t0 = await target.grant();
      const answers = await Promise.all([refresh(t0.clientId, t0.refreshToken), refresh(t0.clientId, t0.refreshToken)]);
      const statuses = answers.map((answer) => answer.status).sort();
      // Overlapping, the ledger refuses the second (the case above holds the ledger to prove this
      // without depending on how the two requests interleave); one that came after the first had
      // finished is a grace retry (200), which drops the first's successor.
      if (statuses[1] === 400) {
        expect(statuses).toEqual([200, 400]);
        const loser = answers.find((answer) => answer.status === 400);
        if (loser === undefined) throw new Error("expected a refused refresh");
        await expectRefused(loser, "invalid_grant", IN_PROGRESS_DESCRIPTION);
      } else {
        expect(statuses).toEqual([200, 200]);
      }
      const successors = await Promise.all(
        answers
          .filter((answer) => answer.status === 200)
          .map(async (answer) => (await answer.json<{ refresh_token: string }>()).refresh_token),
      );
      // Exactly one successor refreshes; a dropped one is refused without ending the grant.
      const live: IssuedGrant[] = [];
      for (const token of successors) {
        const answer = await refresh(t0.clientId, token);
        if (answer.status === 200) {
          const body = await answer.json<{ access_token: string; refresh_token: string }>();
          live.push({ clientId: t0.clientId, accessToken: body.access_token, refreshToken: body.refresh_token });
        }
      }
      expect(live).toHaveLength(1);
      const [current] = live;
      if (current === undefined) throw new Error("expected one live successor");
      expect(await mcpStatus(current.accessToken)).toBe(200);
      expect(await mcpStatus((await refreshed(t0.clientId, current.refreshToken)).accessToken)).toBe(200);
    });
  });
}

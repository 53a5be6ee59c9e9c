import { AuthError } from "@mcp-auth/auth-common";
import type { ApiKeyRecord, ApiKeyStore } from "@mcp-auth/auth-common/verifiers";
import { waitUntil } from "cloudflare:workers";
import type { ApiKeyObject, LeaseAccount, LeaseAnswer, LeaseRequest } from "./key-object.ts";

/** A lease this isolate holds: uses it may still admit with `record`, until `until` (this isolate's clock). */
interface Lease {
  id: string | undefined;
  record: ApiKeyRecord;
  uses: number;
  used: number;
  until: number;
  /** Set once its account has left for the object (with a renewal, or on its own). */
  settled: boolean;
}

/** What this isolate knows about one key: the lease in hand, and how busy the last one was. */
interface KeyState {
  lease: Lease | undefined;
  /** Uses made in the last lease, and when it ended: the next lease asks for twice as many. */
  lastUsed: number;
  lastEnded: number;
  /** A renewal is under way: concurrent requests take single uses instead of waiting on it. */
  renewing: boolean;
}

/** Keys idle this long are forgotten (the map holds only keys in use). */
const IDLE_FORGET_MS = 5000;
/** Past this many remembered keys, idle ones are forgotten before a new one is added. */
const MAX_KEYS = 1024;
/** Settling a lease on its own is retried this often (it is idempotent: settled by id). */
const SETTLE_ATTEMPTS = 3;

/**
 * The API-key store the Worker's verifier uses: per key, a lease from the key's Durable Object
 * (src/key-object.ts), so a busy key costs one round trip per lease rather than per request, while
 * the object keeps the limit, the count and revocation exact (see {@link ApiKeyObject}).
 *
 * A key's first request in a while asks for one use (a lone request costs exactly what a plain
 * call would, and leaves nothing to settle); each renewal asks for twice the last lease's uses,
 * up to the object's cap. Over the limit it refuses with a coded `rate_limited` error (429 with
 * `Retry-After`); when the object or D1 cannot be reached, `temporarily_unavailable` (503), never
 * a 401.
 */
export function leasedKeyStore(
  namespace: DurableObjectNamespace<ApiKeyObject>,
  options: { now?: () => number } = {},
): ApiKeyStore {
  const now = options.now ?? Date.now;
  const keys = new Map<string, KeyState>();
  const stub = (hash: string) => namespace.get(namespace.idFromName(hash));

  /** Takes a lease out of service and returns its account, once; undefined when nothing is left to settle. */
  function close(state: KeyState, lease: Lease, at: number): LeaseAccount | undefined {
    if (state.lease === lease) {
      state.lease = undefined;
      state.lastUsed = lease.used;
      state.lastEnded = Math.min(at, lease.until);
    }
    if (lease.settled || lease.id === undefined) return undefined;
    lease.settled = true;
    return { id: lease.id, used: lease.used };
  }

  /** Settles a lease that ended with no request to carry its account, retrying on failure. */
  async function settleLater(hash: string, state: KeyState, lease: Lease): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, lease.until - now())));
    const account = close(state, lease, now());
    if (account !== undefined) await settleWithRetry(hash, account);
    forgetIdle(now());
  }

  async function settleWithRetry(hash: string, account: LeaseAccount): Promise<void> {
    for (let attempt = 1; attempt <= SETTLE_ATTEMPTS; attempt++) {
      try {
        await stub(hash).settle(account);
        return;
      } catch {
        if (attempt < SETTLE_ATTEMPTS) await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
      }
    }
    // The object kept the reservation (the limit errs on the safe side); the uses stay uncounted.
    console.error(JSON.stringify({ event: "api_key_lease_unsettled", uses: account.used }));
  }

  function forgetIdle(at: number): void {
    for (const [hash, state] of keys) {
      if (state.lease === undefined && !state.renewing && at - state.lastEnded > IDLE_FORGET_MS) keys.delete(hash);
    }
  }

  async function ask(hash: string, request: LeaseRequest): Promise<LeaseAnswer> {
    try {
      return await stub(hash).lease(hash, request);
    } catch (error) {
      // The record cannot be read (D1 or the object is down): fail closed, and say it is temporary.
      throw new AuthError("temporarily_unavailable", "API keys cannot be checked right now; retry shortly.", {
        retryAfterSeconds: 5,
        cause: error,
      });
    }
  }

  function admitted(answer: LeaseAnswer): ApiKeyRecord | null {
    if (answer.limitedForSeconds !== undefined) {
      throw new AuthError(
        "rate_limited",
        `Too many requests with this API key; retry after ${answer.limitedForSeconds} seconds.`,
        { retryAfterSeconds: answer.limitedForSeconds },
      );
    }
    return answer.record;
  }

  return {
    async findByHash(hash) {
      const at = now();
      let state = keys.get(hash);
      const lease = state?.lease;
      if (state !== undefined && lease !== undefined) {
        if (at < lease.until && lease.used < lease.uses) {
          lease.used++;
          return lease.record;
        }
      }
      // Another request of this isolate is renewing: take one use on our own rather than wait on
      // its round trip (a promise is never shared across requests).
      if (state?.renewing === true) return admitted(await ask(hash, { take: 1 }));

      if (state === undefined) {
        if (keys.size >= MAX_KEYS) forgetIdle(at);
        state = { lease: undefined, renewing: false, lastUsed: 0, lastEnded: 0 };
        keys.set(hash, state);
      }
      const settle = lease === undefined ? undefined : close(state, lease, at);
      const recent = at - state.lastEnded <= IDLE_FORGET_MS / 5;
      const take = recent ? Math.max(2, state.lastUsed * 2) : 1;
      state.renewing = true;
      const sentAt = now();
      let answer: LeaseAnswer | undefined;
      try {
        answer = await ask(hash, { take, ...(settle === undefined ? {} : { settle }) });
      } catch (error) {
        // Whether the account arrived is unknown; settling again is harmless (by id).
        if (settle !== undefined) waitUntil(settleWithRetry(hash, settle));
        throw error;
      } finally {
        state.renewing = false;
        // Only keys that were granted a use are remembered: unknown keys leave nothing behind.
        if (answer?.lease === undefined && state.lease === undefined && state.lastEnded === 0) keys.delete(hash);
      }
      const record = admitted(answer);
      if (record !== null && answer.lease !== undefined) {
        // Ends no later than the object's bound, counted from before the request left (the
        // object's clock is never consulted).
        const fresh: Lease = {
          id: answer.lease.id,
          record,
          uses: answer.lease.uses,
          used: 1,
          until: sentAt + answer.lease.ms,
          settled: false,
        };
        state.lease = fresh;
        if (fresh.id !== undefined) waitUntil(settleLater(hash, state, fresh));
        else close(state, fresh, sentAt + answer.lease.ms);
      }
      return record;
    },
  };
}

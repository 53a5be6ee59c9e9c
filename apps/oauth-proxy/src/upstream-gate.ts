import { sha256Hex } from "@mcp-auth/auth-common";
import { UpstreamError, type UpstreamClient, type UpstreamTokens } from "@mcp-auth/auth-common/upstream";
import { DurableObject } from "cloudflare:workers";
import { loadConfig } from "./config.ts";
import { buildUpstream } from "./upstream.ts";

/** What one upstream check answered: the tokens to keep, or the upstream's refusal (never a token). */
export type Revalidated = { tokens: UpstreamTokens } | { error: UpstreamError["code"]; reason: string };

/** Asks the upstream about one grant's sign-in (`UpstreamClient.revalidate`), one call at a time. */
export type Revalidate = (grant: {
  userId: string;
  grantId: string;
  subject: string;
  tokens: UpstreamTokens;
}) => Promise<Revalidated>;

/** Superseded upstream refresh tokens one gate remembers the successors of. */
const REMEMBERED_ROTATIONS = 8;

/**
 * One grant's upstream checks, strictly one after another, each starting from the newest tokens
 * this gate has seen.
 *
 * Why: the library runs concurrent refreshes of one grant side by side (it has no lock; KV
 * cannot give one), each with the props it read. Two upstream refreshes with the same upstream
 * refresh token would then race, and a provider that rotates refresh tokens treats the second as
 * reuse and revokes the whole upstream grant (oidc-provider does; RFC 9700 §4.14.2 asks it).
 * Here the second waits for the first, and if its props still hold the refresh token the first
 * just rotated away, it continues from the first's result instead.
 * Bound: successors are kept in memory only, so a request arriving after the gate was evicted
 * with props older than the library's last write can still present a rotated-away token; the
 * upstream then answers invalid_grant and the user signs in again (never a wrong grant).
 */
export class SerialRevalidator {
  #tail: Promise<unknown> = Promise.resolve();
  /** SHA-256 of a superseded upstream refresh token → the tokens that replaced it. */
  readonly #successors = new Map<string, UpstreamTokens>();
  readonly #client: () => UpstreamClient;

  constructor(client: () => UpstreamClient) {
    this.#client = client;
  }

  revalidate(subject: string, tokens: UpstreamTokens): Promise<Revalidated> {
    const turn = this.#tail.then(() => this.#check(subject, tokens));
    this.#tail = turn.catch(() => undefined);
    return turn;
  }

  async #check(subject: string, presented: UpstreamTokens): Promise<Revalidated> {
    let tokens = presented;
    for (let hop = 0; hop < REMEMBERED_ROTATIONS && tokens.refreshToken !== undefined; hop++) {
      const successor = this.#successors.get(await sha256Hex(tokens.refreshToken));
      if (successor === undefined) break;
      tokens = successor;
    }
    try {
      const renewed = await this.#client().revalidate({ subject, tokens });
      if (tokens.refreshToken !== undefined && renewed.refreshToken !== tokens.refreshToken) {
        this.#successors.set(await sha256Hex(tokens.refreshToken), renewed);
        const oldest = this.#successors.keys().next();
        if (this.#successors.size > REMEMBERED_ROTATIONS && oldest.done !== true) this.#successors.delete(oldest.value);
      }
      return { tokens: renewed };
    } catch (error) {
      if (error instanceof UpstreamError) return { error: error.code, reason: error.reason };
      throw error;
    }
  }
}

/**
 * The Durable Object that makes "one upstream call at a time per grant" hold across isolates and
 * locations: one instance per grant (named by user and grant id), running its checks through a
 * {@link SerialRevalidator}. It stores nothing; the upstream tokens stay in the grant's
 * encrypted props.
 */
export class UpstreamGate extends DurableObject<Env> {
  #upstream: UpstreamClient | undefined;
  readonly #serial = new SerialRevalidator(() => (this.#upstream ??= buildUpstream(loadConfig(this.env))));

  revalidate(subject: string, tokens: UpstreamTokens): Promise<Revalidated> {
    return this.#serial.revalidate(subject, tokens);
  }
}

/** The Worker's side: each grant's check goes to that grant's {@link UpstreamGate}. */
export function gatedRevalidate(gates: DurableObjectNamespace<UpstreamGate>): Revalidate {
  return ({ userId, grantId, subject, tokens }) =>
    gates.get(gates.idFromName(`${userId}:${grantId}`)).revalidate(subject, tokens);
}

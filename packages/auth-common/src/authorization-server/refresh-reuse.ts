// Refresh-token reuse detection (RFC 9700 §4.14.2) in front of `OAuthProvider` 1.2.3, which
// keeps the previous refresh token usable after a rotation (a grace for a lost answer) and
// never notices reuse. Both OAuth apps run it on every `grant_type=refresh_token` (server.ts).
import { DurableObject } from "cloudflare:workers";
import { consoleLog, refusal } from "../log.ts";
import { clientAddress } from "../rate-limit.ts";
import { sha256Hex } from "../verifier.ts";
import { oauthProblem, tokenForm } from "./front-door.ts";

/**
 * How long one refresh holds its grant's ledger: a Worker that died between `begin` and `finish`
 * blocks the grant's refreshes this long, never for good. Far above any refresh's own time.
 */
const LEASE_MS = 60_000;
/** Used-and-superseded refresh tokens (hashes) a ledger remembers per grant, newest kept. */
export const REMEMBERED_RETIRED = 256;

/** What a grant's ledger keeps: SHA-256 (hex) of its refresh tokens, never a token. */
interface Ledger {
  /** The token the last refresh was made with (the library's `previousRefreshTokenId`). */
  previous?: string;
  /** The token the last refresh issued (the library's `refreshTokenId`). */
  current?: string;
  /** Tokens that were used, and whose successor was used too: presenting one again is reuse. */
  retired: string[];
  /** The refresh in progress, if any: its lease id, token and when its lease ends (ms). */
  held?: { lease: string; token: string; until: number };
}

/** What `begin` answers: go ahead under `lease` (and whether the token is a retired one), or wait. */
export type RefreshTurn = { lease: string; retired: boolean } | { busy: true };

/**
 * One grant's refresh ledger, a Durable Object named by `userId:grantId`: its refreshes one at a
 * time, and which of its refresh tokens were used and then superseded by a used successor.
 *
 * Why a Durable Object: KV (where the library keeps the grant) has no conditional write, so two
 * refreshes of one token both succeed and one client's new token silently dies. A Durable Object
 * is one single-threaded instance per name worldwide; `begin` and `finish` touch only its own
 * storage, and its input gate delivers no other call while a storage operation is pending, so
 * each runs as one step — two racing `begin`s of a grant cannot both take the lease. D1 with a
 * conditional write would serialize too, but costs a database round trip and a table per grant
 * event; the oauth-proxy's `UpstreamGate` already keys one object per grant the same way.
 * Bound: the last {@link REMEMBERED_RETIRED} retired tokens; an older one is refused by the
 * library as any unknown token (invalid_grant), without revoking.
 */
export class RefreshLedger extends DurableObject {
  async #read(): Promise<Ledger> {
    return (await this.ctx.storage.get<Ledger>("ledger")) ?? { retired: [] };
  }

  /** Takes the grant's lease for a refresh with the token hashed `token`, unless another refresh holds it. */
  async begin(token: string): Promise<RefreshTurn> {
    const ledger = await this.#read();
    if (ledger.held !== undefined && ledger.held.until > Date.now()) return { busy: true };
    const lease = crypto.randomUUID();
    await this.ctx.storage.put<Ledger>("ledger", { ...ledger, held: { lease, token, until: Date.now() + LEASE_MS } });
    return { lease, retired: ledger.retired.includes(token) };
  }

  /**
   * Ends the refresh under `lease`: when the library issued the token hashed `issued`, records
   * the rotation as the library made it. A refresh with the current token (its predecessor's
   * successor was used) retires the previous one; a retry with the previous token (the grace for
   * a lost answer) drops the unused current one without retiring anything.
   */
  async finish(lease: string, issued: string | undefined): Promise<void> {
    const ledger = await this.#read();
    const held = ledger.held;
    // This refresh's lease ran out and another refresh took the grant: the ledger is the other's.
    if (held?.lease !== lease) return;
    const next: Ledger = { previous: ledger.previous, current: ledger.current, retired: ledger.retired };
    if (issued !== undefined) {
      if (held.token === ledger.current && ledger.previous !== undefined && ledger.previous !== held.token) {
        next.retired = [...ledger.retired.filter((token) => token !== ledger.previous), ledger.previous].slice(
          -REMEMBERED_RETIRED,
        );
      }
      next.previous = held.token;
      next.current = issued;
    }
    await this.ctx.storage.put<Ledger>("ledger", next);
  }

  /** The grant is revoked: nothing of it is kept. */
  async forget(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }
}

/** A refresh request's grant and token hash, when it is one of the library's token shape. */
export interface RefreshRequest {
  userId: string;
  grantId: string;
  /** SHA-256 (hex) of the presented refresh token. */
  token: string;
}

/** Who reused a refresh token, for {@link refreshOnce}'s `onReuse` (never a token). */
export interface RefreshReuse {
  userId: string;
  grantId: string;
  /** The grant's client, when the grant could still be read before it was revoked. */
  clientId: string | undefined;
  address: string;
}

/**
 * The grant and token hash of a `grant_type=refresh_token` request (form body, already bounded),
 * or undefined for anything else, which the library answers alone: another grant type, a
 * repeated parameter, a token not of the `userId:grantId:secret` shape.
 */
export async function refreshRequestOf(request: Request): Promise<RefreshRequest | undefined> {
  const form = await tokenForm(request);
  if (form === undefined) return undefined;
  const grantTypes = form.getAll("grant_type");
  const tokens = form.getAll("refresh_token");
  if (grantTypes.length !== 1 || grantTypes[0] !== "refresh_token" || tokens.length !== 1) return undefined;
  const token = tokens[0] ?? "";
  const [userId, grantId, secret, ...rest] = token.split(":");
  if (!userId || !grantId || !secret || rest.length > 0) return undefined;
  return { userId, grantId, token: await sha256Hex(token) };
}

/** What {@link refreshOnce} needs of the app and the library. */
export interface RefreshOnceOptions {
  ledgers: DurableObjectNamespace<RefreshLedger>;
  /** The library's answer to the request (its `/token`). */
  library: (request: Request) => Promise<Response>;
  /** The library's reason for a refusal (`<code>:<category>:<reason>`), from its `onError`. */
  reasonOf: (answer: Response) => string | null;
  /** The grant's client id as the library stored it, or undefined. */
  clientOf: (refresh: RefreshRequest) => Promise<string | undefined>;
  /** Revokes the grant and every token of it (`OAuthHelpers.revokeGrant`). */
  revokeGrant: (refresh: RefreshRequest) => Promise<void>;
  onReuse?: ((reuse: RefreshReuse) => void | Promise<void>) | undefined;
}

/** The library's refusal of a refresh token that is not the grant's current or previous one. */
const TOKEN_MISMATCH = "invalid_grant:refresh-token-grant:refresh_token_mismatch";

/**
 * A refresh through the grant's {@link RefreshLedger}: one at a time per grant, and a reused
 * refresh token ends the grant (RFC 9700 §4.14.2).
 *
 * Validates: no other refresh of the grant is in progress (else 400 `invalid_grant`, nothing
 * changed: the loser's token stays usable); a token the library refused as not the grant's
 * current or previous one, which the ledger saw used and then superseded by a used successor →
 * the grant is revoked with every access and refresh token, 400 `invalid_grant`, a
 * `request_refused` `refresh_reuse_detected` line and `onReuse`.
 * Does not validate: the client, the token or the grant (the library does, first: a client that
 * fails authentication revokes nothing). The grace retry (the previous token, before its
 * successor was ever used) is the library's and stays allowed. A ledger that cannot be reached →
 * 503 `temporarily_unavailable` with `Retry-After`, the library not asked.
 */
export async function refreshOnce(
  request: Request,
  refresh: RefreshRequest,
  options: RefreshOnceOptions,
): Promise<Response> {
  const ledger = options.ledgers.get(options.ledgers.idFromName(`${refresh.userId}:${refresh.grantId}`));
  let turn: RefreshTurn;
  try {
    turn = await ledger.begin(refresh.token);
  } catch (error) {
    consoleLog("error", { event: "dependency_failed", dependency: "refresh_ledger", reason: String(error) });
    return oauthProblem(503, "temporarily_unavailable", "Refreshing is briefly unavailable; try again shortly.", {
      "Retry-After": "5",
    });
  }
  if ("busy" in turn) {
    consoleLog("warn", refusal(request, 400, "refresh_in_progress"));
    return oauthProblem(400, "invalid_grant", "Another refresh of this grant is in progress; try again shortly.");
  }
  let issued: string | undefined;
  let revoked = false;
  try {
    const answer = await options.library(request);
    if (answer.status === 200) {
      const body = await answer
        .clone()
        .json<{ refresh_token?: unknown }>()
        .catch(() => ({ refresh_token: undefined }));
      if (typeof body.refresh_token === "string") issued = await sha256Hex(body.refresh_token);
      return answer;
    }
    if (!turn.retired || options.reasonOf(answer) !== TOKEN_MISMATCH) return answer;
    const clientId = await options.clientOf(refresh);
    await options.revokeGrant(refresh);
    revoked = true;
    consoleLog("warn", refusal(request, 400, "refresh_reuse_detected", { clientId }));
    // The grant is gone either way: a hook or a ledger that fails now is logged, and the client
    // still hears why its refresh was refused.
    const reuse = { userId: refresh.userId, grantId: refresh.grantId, clientId, address: clientAddress(request) };
    await Promise.resolve()
      .then(() => options.onReuse?.(reuse))
      .catch((error: unknown) => {
        consoleLog("error", { event: "dependency_failed", dependency: "on_refresh_reuse", reason: String(error) });
      });
    await ledger.forget().catch((error: unknown) => {
      consoleLog("error", { event: "dependency_failed", dependency: "refresh_ledger", reason: String(error) });
    });
    return oauthProblem(
      400,
      "invalid_grant",
      "This refresh token was already used: the grant is revoked, with every token of it; authorize again.",
    );
  } finally {
    // A ledger that cannot be told keeps its lease until it runs out (the next refresh waits).
    if (!revoked) {
      await ledger.finish(turn.lease, issued).catch((error: unknown) => {
        consoleLog("error", { event: "dependency_failed", dependency: "refresh_ledger", reason: String(error) });
      });
    }
  }
}

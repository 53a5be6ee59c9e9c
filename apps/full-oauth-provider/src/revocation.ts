// RFC 7009 revocation at /token, seen from outside the library: it decides and deletes from KV;
// this module records what it deleted in D1 (so /mcp refuses it everywhere within seconds, as
// for a Revoke on /account) and in the audit log. It reads KV by the library's documented layout
// (`grant:{userId}:{grantId}`, `token:{userId}:{grantId}:{id}`), as src/grants.ts does; a token's
// id is its SHA-256 in hex.
import { sha256Hex } from "@mcp-auth/auth-common";
import {
  isKeyId,
  recordAndAuditRevokedGrants,
  recordRevokedToken,
  type AuditEvent,
  type UserDatabase,
} from "./users.ts";

/** The slice of KV read here. */
export interface TokenStore {
  get(key: string, type: "json"): Promise<unknown>;
}

/** Largest revocation body read here (a token and a client id); larger ones go to the library unread. */
const MAX_REVOCATION_BYTES = 8 * 1024;

interface Target {
  userId: string;
  grantId: string;
  tokenHash: string;
  grantKey: string;
  tokenKey: string;
}

/** What a POST /token names for revocation (a `token` and no `grant_type`), or undefined. */
async function revocationTarget(request: Request): Promise<Target | undefined> {
  if (request.method !== "POST" || new URL(request.url).pathname !== "/token") return undefined;
  const type = (request.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
  const length = Number(request.headers.get("content-length") ?? "NaN");
  if (type !== "application/x-www-form-urlencoded" || !(length <= MAX_REVOCATION_BYTES)) return undefined;
  let form: URLSearchParams;
  try {
    form = new URLSearchParams(await request.clone().text());
  } catch {
    return undefined;
  }
  const token = form.get("token");
  if (token === null || form.has("grant_type")) return undefined;
  // The library's token shape, `userId:grantId:secret`; anything else it answers 200 and ignores.
  const [userId, grantId, secret, ...rest] = token.split(":");
  if (userId === undefined || grantId === undefined || secret === undefined || rest.length > 0) return undefined;
  if (!isKeyId(userId) || !isKeyId(grantId)) return undefined;
  const tokenHash = await sha256Hex(token);
  return {
    userId,
    grantId,
    tokenHash,
    grantKey: `grant:${userId}:${grantId}`,
    tokenKey: `token:${userId}:${grantId}:${tokenHash}`,
  };
}

const clientOf = (grant: unknown): string | undefined =>
  typeof grant === "object" && grant !== null && typeof (grant as { clientId?: unknown }).clientId === "string"
    ? (grant as { clientId: string }).clientId
    : undefined;

/**
 * Answers `request` with `next` (the authorization server); when it is an RFC 7009 revocation
 * the library carried out, records it: a revoked refresh token ends its grant (`revoked_grants`,
 * audit `grant_revoked` `token_endpoint`), a revoked access token only itself (`revoked_tokens`,
 * audit `token_revoked` `token_endpoint`). What was revoked is what was in KV before the library
 * answered and is gone after: the library checks that the token belongs to the calling client.
 */
export async function withRevocationRecord(
  request: Request,
  kv: TokenStore,
  context: { db: UserDatabase; audit: (entry: AuditEvent) => void },
  next: (request: Request) => Promise<Response>,
): Promise<Response> {
  const target = await revocationTarget(request);
  if (target === undefined) return next(request);
  const [grantBefore, tokenBefore] = await Promise.all([
    kv.get(target.grantKey, "json"),
    kv.get(target.tokenKey, "json"),
  ]);
  const answer = await next(request);
  if (answer.status !== 200 || (grantBefore === null && tokenBefore === null)) return answer;
  const clientId = clientOf(grantBefore);
  const [grantAfter, tokenAfter] = await Promise.all([
    kv.get(target.grantKey, "json"),
    kv.get(target.tokenKey, "json"),
  ]);
  const why = { detail: "token_endpoint" };
  if (grantBefore !== null && grantAfter === null) {
    const revoked = [{ id: target.grantId, clientId }];
    await recordAndAuditRevokedGrants(context.db, target.userId, revoked, why, context.audit);
  } else if (tokenBefore !== null && tokenAfter === null) {
    await recordRevokedToken(context.db, target.userId, target.tokenHash);
    context.audit({
      event: "token_revoked",
      outcome: "ok",
      userId: target.userId,
      clientId,
      grantId: target.grantId,
      ...why,
    });
  }
  return answer;
}

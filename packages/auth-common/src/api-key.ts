import { AuthError } from "./errors.ts";
import { SELF_ISSUER, credentialSchema, type VerifiedCredential } from "@mcp-auth/identity";
import { base64url } from "jose";
import { sha256Hex, timingSafeEqual, type CredentialVerifier } from "./verifier.ts";

/** Every key starts with this, so a leaked key is recognizable (and secret scanners can match it). */
export const API_KEY_PREFIX = "mcpk_";
/** `mcpk_` + 43 base64url characters (32 random bytes). */
const API_KEY_PATTERN = /^mcpk_[A-Za-z0-9_-]{43}$/;

/** What the store keeps about a key. Never the key itself: only its SHA-256. */
export interface ApiKeyRecord {
  /** Public id, shown in listings and used to revoke, e.g. `key_3fj9a0c2kq`. */
  id: string;
  hash: string;
  owner: string;
  scopes: string[];
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
}

/**
 * Looks a key up by the hash of the presented value. A store may also meter the use in the same
 * round trip (per-key limit, usage count); it then refuses with an {@link AuthError} of its own
 * (`rate_limited`, or `temporarily_unavailable` when the record cannot be read), which the
 * verifier passes on unchanged.
 */
export interface ApiKeyStore {
  findByHash(hash: string): Promise<ApiKeyRecord | null>;
}

/** A new key (shown once), its public id and the hash to store. */
export async function generateApiKey(): Promise<{ key: string; id: string; hash: string }> {
  const key = API_KEY_PREFIX + base64url.encode(crypto.getRandomValues(new Uint8Array(32)));
  const id = `key_${base64url
    .encode(crypto.getRandomValues(new Uint8Array(8)))
    .toLowerCase()
    .replaceAll(/[^a-z0-9]/g, "")
    .slice(0, 10)
    .padEnd(10, "0")}`;
  return { key, id, hash: await hashApiKey(key) };
}

/**
 * SHA-256 of the key. A fast hash is right here: keys carry 256 bits of entropy, so there is
 * nothing to brute-force, and lookups happen on every request.
 */
export function hashApiKey(key: string): Promise<string> {
  return sha256Hex(key);
}

/** True for a value shaped like one of our keys (prefix, length, alphabet). */
export function looksLikeApiKey(token: string): boolean {
  return API_KEY_PATTERN.test(token);
}

/**
 * API keys as bearer credentials.
 *
 * Validates: the key's shape; that its hash is stored (lookup by hash, then a constant-time
 * comparison); not revoked; not expired (`now` in ms).
 * Does not validate: rate limits or usage itself (the store may, see {@link ApiKeyStore}).
 * Claims only bearer tokens with the `mcpk_` prefix; other tokens are left to other methods.
 */
export function apiKeyVerifier(options: { store: ApiKeyStore; now?: () => number }): CredentialVerifier {
  const now = options.now ?? Date.now;
  return {
    method: "api_key",
    reads: "bearer",
    async verify({ bearer }): Promise<VerifiedCredential | undefined> {
      if (bearer === undefined || !bearer.startsWith(API_KEY_PREFIX)) return undefined;
      if (!looksLikeApiKey(bearer)) throw new AuthError("invalid_token", "Malformed API key.");
      const hash = await hashApiKey(bearer);
      const record = await options.store.findByHash(hash);
      if (record === null || !timingSafeEqual(record.hash, hash))
        throw new AuthError("invalid_token", "Unknown API key.");
      if (record.revokedAt !== null) throw new AuthError("invalid_token", "This API key has been revoked.");
      if (record.expiresAt !== null && record.expiresAt <= now()) {
        throw new AuthError("invalid_token", "This API key has expired.");
      }
      const credential = credentialSchema.safeParse({
        subject: record.owner,
        displayName: record.owner,
        clientId: record.id,
        issuer: SELF_ISSUER,
        scopes: record.scopes,
        method: "api_key",
        ...(record.expiresAt === null ? {} : { expiresAt: Math.floor(record.expiresAt / 1000) }),
      });
      // A stored owner that no credential may assert (`anonymous`, control characters) is refused.
      if (!credential.success) throw new AuthError("invalid_token", "This API key's owner is not a usable subject.");
      return credential.data;
    },
  };
}

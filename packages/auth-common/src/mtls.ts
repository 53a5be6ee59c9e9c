import { z } from "zod";
import { AuthError } from "./errors.ts";
import { SELF_ISSUER, credentialSchema, type VerifiedCredential } from "@mcp-auth/identity";
import { isScopeToken } from "./scope-token.ts";
import type { CredentialVerifier } from "./verifier.ts";

/** A SHA-256 fingerprint: 64 hex digits, optionally in colon-separated pairs. */
const FINGERPRINT = /^(?:[0-9a-f]{64}|[0-9a-f]{2}(?::[0-9a-f]{2}){31})$/;

/** How a server trusts client certificates Cloudflare verified at the edge. */
export interface MtlsOptions {
  /** Scopes granted to every caller with a verified certificate. */
  scopes: readonly string[];
  /** When non-empty, only certificates with one of these SHA-256 fingerprints (hex, any case, colons allowed). */
  allowedFingerprints?: readonly string[];
}

/** Just enough of `request.cf` to tell whether a client certificate was presented. */
const presentedSchema = z.object({ tlsClientAuth: z.object({ certPresented: z.literal("1") }) });

/** The `IncomingRequestCfPropertiesTLSClientAuth` fields this verifier reads. */
const tlsClientAuthSchema = z.object({
  certVerified: z.string(),
  certRevoked: z.string().optional(),
  certFingerprintSHA256: z.string(),
  certSubjectDN: z.string().optional(),
});

/** Lower-case, colon-free form of a SHA-256 fingerprint, or `undefined` if it is not one. */
export function normalizeFingerprint(value: string): string | undefined {
  const lower = value.trim().toLowerCase();
  return FINGERPRINT.test(lower) ? lower.replaceAll(":", "") : undefined;
}

const NOT_VERIFIED = "The client certificate was not verified.";

/**
 * Mutual TLS as a credential, from the client certificate Cloudflare checked at the edge
 * (`request.cf.tlsClientAuth`; the client cannot set `request.cf`).
 *
 * Validates: `certVerified === "SUCCESS"` (the chain ends at a CA configured for the zone, and
 * the certificate is within its validity period); not revoked; a well-formed SHA-256
 * fingerprint; membership in `allowedFingerprints` when that list is non-empty.
 * Does not validate: the chain itself (Cloudflare does; this trusts `request.cf`); which
 * hostnames have mTLS enabled (without it no certificate is ever presented). Any certificate from
 * the zone's CA is accepted unless `allowedFingerprints` narrows it.
 * No certificate presented (or no `cf`, e.g. outside Workers) → `undefined`.
 */
export function mtlsVerifier(options: MtlsOptions): CredentialVerifier {
  if (!options.scopes.every(isScopeToken)) throw new Error("mTLS scopes must be RFC 6749 scope tokens");
  const allowed = new Set<string>();
  for (const value of options.allowedFingerprints ?? []) {
    const fingerprint = normalizeFingerprint(value);
    if (fingerprint === undefined) throw new Error("mTLS allowedFingerprints must be SHA-256 hex fingerprints");
    allowed.add(fingerprint);
  }
  const scopes = [...options.scopes];
  return {
    method: "mtls",
    reads: "request",
    async verify({ request }): Promise<VerifiedCredential | undefined> {
      const cf = (request as { cf?: unknown }).cf;
      if (!presentedSchema.safeParse(cf).success) return undefined;
      const parsed = z.object({ tlsClientAuth: tlsClientAuthSchema }).safeParse(cf);
      if (!parsed.success) throw new AuthError("invalid_token", NOT_VERIFIED);
      const auth = parsed.data.tlsClientAuth;
      if (auth.certVerified !== "SUCCESS" || auth.certRevoked === "1")
        throw new AuthError("invalid_token", NOT_VERIFIED);
      const fingerprint = normalizeFingerprint(auth.certFingerprintSHA256);
      if (fingerprint === undefined) throw new AuthError("invalid_token", NOT_VERIFIED);
      if (allowed.size > 0 && !allowed.has(fingerprint)) {
        throw new AuthError("invalid_token", "The client certificate is not one this server accepts.");
      }
      const displayName = auth.certSubjectDN?.slice(0, 256) ?? "";
      return credentialSchema.parse({
        subject: `cert:${fingerprint}`,
        ...(displayName === "" ? {} : { displayName }),
        clientId: "mtls",
        issuer: SELF_ISSUER,
        scopes,
        method: "mtls",
      });
    },
  };
}

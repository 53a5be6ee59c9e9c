import type { AuthInfo } from "@modelcontextprotocol/server";
import { z } from "zod";

/** The four auth patterns of this repo, one per app. */
export const PATTERNS = ["no-auth", "token-validation", "oauth-proxy", "full-oauth-provider"] as const;
export type Pattern = (typeof PATTERNS)[number];

/** How the caller proved who it is. */
export const METHODS = ["anonymous", "api_key", "jwt", "access", "introspection", "mtls", "oauth"] as const;
export type Method = (typeof METHODS)[number];

/** The subject every anonymous caller shares; no credential may assert it. */
export const ANONYMOUS_SUBJECT = "anonymous";

/**
 * The issuer of subjects this server asserts itself (API keys in its own store, certificate
 * fingerprints, anonymous callers, users of its own OAuth provider), as opposed to a JWT `iss`,
 * an Access team or an upstream identity provider.
 */
export const SELF_ISSUER = "self";

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** True when `value` is one syntactically valid OAuth scope token. */
export function isScopeToken(value: string): boolean {
  return SCOPE_TOKEN.test(value);
}

/** C0 and C1 control characters (and DEL): never part of a name a person or a log reads. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/;

const printable = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((value) => !CONTROL.test(value), "contains control characters");

/**
 * The fields of a proven identity, minus the pattern. This is what a credential verifier
 * returns; the authenticator of an app adds the app's pattern.
 */
const credentialShape = {
  /** Who the caller is, as the issuer names them. Never `anonymous` unless `method` is. */
  subject: printable(256),
  displayName: z
    .string()
    .max(256)
    .refine((value) => !CONTROL.test(value), "contains control characters")
    .optional(),
  clientId: printable(256),
  /** Who asserted `subject`: a JWT/OAuth issuer URL, an Access team origin, or {@link SELF_ISSUER}. */
  issuer: printable(512),
  scopes: z.array(z.string().refine(isScopeToken, "not an RFC 6749 scope token")).max(64),
  method: z.enum(METHODS),
  /** Seconds since the epoch; absent for credentials that do not expire. */
  expiresAt: z.number().int().positive().max(253_402_300_799).optional(),
};

/** The anonymous subject belongs to anonymous callers only, and they have no other (issue: tenants). */
function reservedSubjects(value: { subject: string; method: Method }, ctx: z.RefinementCtx): void {
  if ((value.method === "anonymous") !== (value.subject === ANONYMOUS_SUBJECT)) {
    ctx.addIssue({
      code: "custom",
      path: ["subject"],
      message:
        value.method === "anonymous"
          ? `an anonymous caller's subject is "${ANONYMOUS_SUBJECT}"`
          : `"${ANONYMOUS_SUBJECT}" is reserved for callers who prove nothing`,
    });
  }
}

/** What a credential verifier proves: an identity without the app's pattern. */
export const credentialSchema = z.strictObject(credentialShape).superRefine(reservedSubjects);
export type VerifiedCredential = z.infer<typeof credentialSchema>;

/**
 * The caller's identity: the one value that crosses from auth (auth-common) to tools
 * (mcp-core). It never holds the credential itself, so nothing downstream can leak it.
 */
export const identitySchema = z
  .strictObject({ ...credentialShape, pattern: z.enum(PATTERNS) })
  .superRefine(reservedSubjects);
export type Identity = z.infer<typeof identitySchema>;

/** The identity of a caller who proved nothing, granted `scopes` by server configuration. */
export function anonymousIdentity(pattern: Pattern, scopes: readonly string[]): Identity {
  return identitySchema.parse({
    subject: ANONYMOUS_SUBJECT,
    displayName: "Anonymous",
    clientId: "anonymous",
    issuer: SELF_ISSUER,
    scopes: [...scopes],
    pattern,
    method: "anonymous",
  });
}

/**
 * The key under which everything a caller stores lives. Two callers share a tenant only when
 * the same method, the same issuer and the same subject proved them: an API key owned by
 * `alice` and a JWT with `sub=alice` are different tenants. Each part is percent-encoded, so
 * the separator cannot appear inside one and no two triples map to the same key.
 */
export function tenantKey(identity: Pick<Identity, "method" | "issuer" | "subject">): string {
  return [identity.method, identity.issuer, identity.subject].map(encodeURIComponent).join("|");
}

/** The three parts of a tenant key, as {@link parseTenantKey} returns them. */
export type TenantParts = Pick<Identity, "method" | "issuer" | "subject">;

const tenantSchema = z
  .strictObject({ method: credentialShape.method, issuer: credentialShape.issuer, subject: credentialShape.subject })
  .superRefine(reservedSubjects);

/** The longest tenant key: each part at its longest, every character percent-encoded as 3 × 4 bytes. */
const MAX_TENANT_KEY_LENGTH = (16 + 512 + 256) * 12 + 2;

/**
 * Reads a key made by {@link tenantKey} back into its method, issuer and subject, for operator
 * tools that name a tenant (the notes admin route, the notes CLI).
 *
 * Validates: three `|`-separated parts, each valid percent-encoding and encoded exactly as
 * `tenantKey` encodes it (so one tenant has one key); `method` one of {@link METHODS};
 * `issuer` and `subject` by the rules of {@link identitySchema} (length, no control characters,
 * `anonymous` only for the anonymous method).
 * Does not validate: that any caller with this identity ever existed.
 * Returns the parts, or the problem in words (never echoing more than the part's position).
 */
export function parseTenantKey(key: string): { ok: true; tenant: TenantParts } | { ok: false; problem: string } {
  if (key.length === 0) return { ok: false, problem: "the tenant key is empty" };
  if (key.length > MAX_TENANT_KEY_LENGTH) {
    return { ok: false, problem: `the tenant key is longer than ${MAX_TENANT_KEY_LENGTH} characters` };
  }
  const parts = key.split("|");
  if (parts.length !== 3) {
    return { ok: false, problem: `a tenant key is method|issuer|subject (3 parts), this one has ${parts.length}` };
  }
  const names = ["method", "issuer", "subject"] as const;
  const decoded: string[] = [];
  for (const [index, part] of parts.entries()) {
    let value: string;
    try {
      value = decodeURIComponent(part);
    } catch {
      return { ok: false, problem: `the ${names[index]} is not valid percent-encoding` };
    }
    if (encodeURIComponent(value) !== part) {
      return { ok: false, problem: `the ${names[index]} is not percent-encoded as tenantKey encodes it` };
    }
    decoded.push(value);
  }
  const [method, issuer, subject] = decoded;
  const parsed = tenantSchema.safeParse({ method, issuer, subject });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path[0] === undefined ? "tenant" : String(issue.path[0]);
    const message = where === "method" ? `must be one of ${METHODS.join(", ")}` : (issue?.message ?? "is not valid");
    return { ok: false, problem: `the ${where}: ${message}` };
  }
  return { ok: true, tenant: parsed.data };
}

/** Where a request's identity travels inside the SDK's `AuthInfo.extra`. */
export const IDENTITY_EXTRA_KEY = "identity";

/**
 * Packs an identity into the SDK's `AuthInfo` for `handler.fetch(request, { authInfo })`.
 * `token` is deliberately empty: the credential stops at the auth layer and is never visible
 * to tools (the SDK type requires the field).
 */
export function toAuthInfo(identity: Identity, options: { resourceMetadataUrl?: string } = {}): AuthInfo {
  const parsed = identitySchema.parse(identity);
  return {
    token: "",
    clientId: parsed.clientId,
    scopes: [...parsed.scopes],
    ...(parsed.expiresAt === undefined ? {} : { expiresAt: parsed.expiresAt }),
    ...(options.resourceMetadataUrl === undefined ? {} : { resourceMetadataUrl: options.resourceMetadataUrl }),
    extra: { [IDENTITY_EXTRA_KEY]: parsed },
  };
}

/**
 * Reads the identity back out of `authInfo` with the same schema that packed it. Throws (a
 * `ZodError` when malformed) when it is missing or malformed: a request that reached the tools without one is a wiring bug, never
 * something a client can cause.
 */
export function identityFromAuthInfo(authInfo: AuthInfo | undefined): Identity {
  if (authInfo === undefined) throw new Error("identity: request reached the MCP server without an identity");
  return identitySchema.parse(authInfo.extra?.[IDENTITY_EXTRA_KEY]);
}

// Password hashing for a Worker that is its own identity provider.
//
// PBKDF2-HMAC-SHA256 through WebCrypto, at the most iterations production Workers accept, with a
// secret pepper. Production Workers refuse PBKDF2 above 100,000 iterations (`wrangler dev` does
// not, so a local run cannot tell). The memory-hard alternative, Argon2id in WebAssembly at
// OWASP's smallest setting (19 MiB, 2 passes), measured about 6x the CPU of PBKDF2 at 100,000
// (118 ms against 20 ms, medians on one loaded 2-core machine, same V8 engine as workerd). Either
// is more than the Workers free plan's 10 ms of CPU per request, so this app needs a paid plan;
// and every sign-in attempt, an attacker's included, spends that CPU, which the per-address and
// per-account limits in front of it must bound. 100,000 iterations alone is below OWASP's 600,000 for PBKDF2-SHA256; the
// pepper (a Worker secret, never stored beside the hashes) is what makes a stolen user table
// useless on its own. The parameters are stored in every hash, so raising them later (or
// rotating the pepper) rehashes each password at its owner's next sign-in.

import { base64url } from "jose";
import { timingSafeEqual } from "./verifier.ts";

/** The most PBKDF2 iterations production Workers accept; above it `deriveBits` throws there. */
export const WORKERS_PBKDF2_MAX_ITERATIONS = 100_000;

/** What new hashes are made with. */
export const PASSWORD_HASH_PARAMETERS = {
  algorithm: "pbkdf2-sha256",
  iterations: WORKERS_PBKDF2_MAX_ITERATIONS,
  saltBytes: 16,
  hashBytes: 32,
} as const;

/** NIST SP 800-63B-4: at least 15 characters for a password that is the only factor; no composition rules. */
export const PASSWORD_MIN_LENGTH = 15;
/** Long enough for any passphrase or manager-made password (the pepper's HMAC makes length cheap). */
export const PASSWORD_MAX_LENGTH = 256;
/** A pepper: a Worker secret of at least this many bytes of text. */
export const MIN_PEPPER_LENGTH = 32;

/** A pepper and its id (stored in each hash, so a rotated pepper can still verify old hashes). */
export interface Pepper {
  id: string;
  secret: string;
}

/** The pepper new hashes use, and older ones still accepted for verification. */
export interface Peppers {
  current: Pepper;
  previous?: readonly Pepper[];
}

/** The outcome of a verification: whether it matched, and whether the stored hash should be replaced. */
export interface PasswordCheck {
  ok: boolean;
  /** True when it matched with parameters or a pepper that are no longer current. */
  rehash: boolean;
}

interface ParsedHash {
  iterations: number;
  pepperId: string;
  salt: Uint8Array<ArrayBuffer>;
  hash: Uint8Array<ArrayBuffer>;
}

const encoder = new TextEncoder();

function fromBase64url(text: string): Uint8Array<ArrayBuffer> | undefined {
  try {
    return new Uint8Array(base64url.decode(text));
  } catch {
    return undefined;
  }
}

/**
 * Why a password cannot be set, or undefined when it can. Length is counted in code points
 * after NFC normalization (so the same passphrase typed on two systems counts the same).
 */
export function passwordProblem(password: string): string | undefined {
  // Code points, as SP 800-63B counts them (an emoji sequence may count as several; that is fine).
  // eslint-disable-next-line @typescript-eslint/no-misused-spread -- code points are the unit meant here
  const length = [...password.normalize("NFC")].length;
  if (length < PASSWORD_MIN_LENGTH) return `A password needs at least ${PASSWORD_MIN_LENGTH} characters.`;
  if (length > PASSWORD_MAX_LENGTH) return `A password may have at most ${PASSWORD_MAX_LENGTH} characters.`;
  return undefined;
}

/**
 * A pepper from a secret's value: its id is a short fingerprint of the secret, so rotating the
 * secret changes the id without a second setting. Throws when the secret is too short.
 */
export async function pepperFromSecret(secret: string): Promise<Pepper> {
  if (secret.length < MIN_PEPPER_LENGTH) {
    throw new Error(`a password pepper needs at least ${MIN_PEPPER_LENGTH} characters`);
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(`pepper-id:${secret}`)));
  return { id: base64url.encode(digest.slice(0, 6)), secret };
}

/** HMAC-SHA256(pepper, NFC(password)): what PBKDF2 stretches. Fixed size, whatever the password's length. */
async function peppered(password: string, pepper: Pepper): Promise<Uint8Array<ArrayBuffer>> {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(pepper.secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(password.normalize("NFC"))));
}

async function derive(
  password: string,
  pepper: Pepper,
  salt: Uint8Array<ArrayBuffer>,
  iterations: number,
  bytes: number,
): Promise<Uint8Array<ArrayBuffer>> {
  if (iterations > WORKERS_PBKDF2_MAX_ITERATIONS) {
    // Production Workers would throw here; refuse the same way everywhere.
    throw new Error(`PBKDF2 above ${WORKERS_PBKDF2_MAX_ITERATIONS} iterations is refused by production Workers`);
  }
  const material = await crypto.subtle.importKey("raw", await peppered(password, pepper), "PBKDF2", false, [
    "deriveBits",
  ]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    material,
    bytes * 8,
  );
  return new Uint8Array(bits);
}

/** The stored form: `$pbkdf2-sha256$i=<iterations>,k=<pepper id>$<salt>$<hash>` (base64url). */
function encode(parsed: ParsedHash): string {
  return `$${PASSWORD_HASH_PARAMETERS.algorithm}$i=${parsed.iterations},k=${parsed.pepperId}$${base64url.encode(parsed.salt)}$${base64url.encode(parsed.hash)}`;
}

/** A stored hash's parts, or undefined when it is not one we make (or asks for what Workers refuse). */
export function parsePasswordHash(stored: string): ParsedHash | undefined {
  const match =
    /^\$pbkdf2-sha256\$i=([1-9][0-9]{0,8}),k=([A-Za-z0-9_-]{1,16})\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/.exec(stored);
  if (match === null) return undefined;
  const [, iterations, pepperId, salt, hash] = match;
  const decodedSalt = fromBase64url(salt ?? "");
  const decodedHash = fromBase64url(hash ?? "");
  if (decodedSalt === undefined || decodedSalt.length < PASSWORD_HASH_PARAMETERS.saltBytes) return undefined;
  if (decodedHash === undefined || decodedHash.length < PASSWORD_HASH_PARAMETERS.hashBytes) return undefined;
  if (Number(iterations) > WORKERS_PBKDF2_MAX_ITERATIONS) return undefined;
  return { iterations: Number(iterations), pepperId: pepperId ?? "", salt: decodedSalt, hash: decodedHash };
}

/**
 * Hashes a password with the current pepper and a fresh random salt, at the current iterations
 * (or `options.iterations`, which may not exceed what production Workers accept).
 */
export async function hashPassword(
  password: string,
  peppers: Peppers,
  options: { iterations?: number } = {},
): Promise<string> {
  const iterations = options.iterations ?? PASSWORD_HASH_PARAMETERS.iterations;
  const salt = crypto.getRandomValues(new Uint8Array(PASSWORD_HASH_PARAMETERS.saltBytes));
  const hash = await derive(password, peppers.current, salt, iterations, PASSWORD_HASH_PARAMETERS.hashBytes);
  return encode({ iterations, pepperId: peppers.current.id, salt, hash });
}

/** A hash of a password nobody knows, made once per isolate: what an unknown user is checked against. */
let dummy: { pepperId: string; stored: Promise<string> } | undefined;
function dummyHash(peppers: Peppers): Promise<string> {
  if (dummy?.pepperId !== peppers.current.id) {
    const unknowable = base64url.encode(crypto.getRandomValues(new Uint8Array(24)));
    dummy = { pepperId: peppers.current.id, stored: hashPassword(unknowable, peppers) };
  }
  return dummy.stored;
}

/**
 * Checks a password against a stored hash, or against a dummy hash when there is none (an
 * unknown user, or a user without a password), so that "no such user" and "wrong password" take
 * the same work. A stored value that is not a hash we make, or whose pepper is no longer
 * configured, never matches (and costs the same).
 */
export async function verifyPassword(
  stored: string | null | undefined,
  password: string,
  peppers: Peppers,
): Promise<PasswordCheck> {
  const parsed = parsePasswordHash(stored ?? "");
  const pepper = [peppers.current, ...(peppers.previous ?? [])].find((known) => known.id === parsed?.pepperId);
  if (parsed === undefined || pepper === undefined) {
    const fallback = parsePasswordHash(await dummyHash(peppers));
    if (fallback !== undefined)
      await derive(password, peppers.current, fallback.salt, fallback.iterations, fallback.hash.length);
    return { ok: false, rehash: false };
  }
  const candidate = await derive(password, pepper, parsed.salt, parsed.iterations, parsed.hash.length);
  const ok = timingSafeEqual(base64url.encode(candidate), base64url.encode(parsed.hash));
  const current = parsed.iterations === PASSWORD_HASH_PARAMETERS.iterations && pepper.id === peppers.current.id;
  return { ok, rehash: ok && !current };
}

// `pnpm dev` keeps dev-idp's signing keys in a local, gitignored file so a restart does not
// invalidate the ID tokens and JWT access tokens running apps hold. DEV ONLY: the file holds
// private keys in plain JSON, readable by the owner only.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { JWK } from "jose";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isPrivateJwk(value: unknown): value is JWK {
  return (
    isRecord(value) &&
    typeof value.kty === "string" &&
    typeof value.kid === "string" &&
    value.kid !== "" &&
    typeof value.d === "string"
  );
}

/**
 * Reads a private JWKS (`{ "keys": [...] }`) saved by {@link saveSigningKeys}. Returns
 * `undefined` when the file does not exist; throws, naming `displayName` (never a key), when it
 * exists but is not a non-empty set of private keys with `kid`s.
 */
export async function loadSigningKeys(file: string, displayName: string): Promise<JWK[] | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if (isRecord(error) && error.code === "ENOENT") return undefined;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${displayName} is not JSON; delete it to create new signing keys`);
  }
  if (!isRecord(parsed) || !Array.isArray(parsed.keys) || parsed.keys.length === 0) {
    throw new Error(`${displayName} has no "keys" array; delete it to create new signing keys`);
  }
  const keys: JWK[] = [];
  for (const key of parsed.keys) {
    if (!isPrivateJwk(key)) {
      throw new Error(`${displayName} holds a key that is not a private JWK with a kid; delete it to create new ones`);
    }
    keys.push(key);
  }
  return keys;
}

/** Writes `keys` as a private JWKS, creating the directory; the file is readable by its owner only. */
export async function saveSigningKeys(file: string, keys: JWK[]): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify({ keys }, null, 2)}\n`, { encoding: "utf8", mode: 0o600 });
}

import { SignJWT, exportJWK, generateKeyPair, type JWK, type JWTPayload } from "jose";
import { expect } from "vitest";
import { AuthError } from "../src/errors.ts";
import { rejected } from "./helpers.ts";

/** One call a {@link FakeFetch} received. */
export interface RecordedCall {
  url: string;
  method: string;
  headers: Headers;
  body: string | undefined;
  signal: AbortSignal | undefined;
}

/** A scripted `fetch` that records every call; `answer` decides each response. */
export class FakeFetch {
  readonly calls: RecordedCall[] = [];
  answer: (call: RecordedCall) => Response | Promise<Response>;

  constructor(answer: (call: RecordedCall) => Response | Promise<Response>) {
    this.answer = answer;
  }

  readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const body = init?.body;
    const call: RecordedCall = {
      url,
      method: init?.method ?? "GET",
      headers: new Headers(init?.headers),
      body: typeof body === "string" ? body : undefined,
      signal: init?.signal ?? undefined,
    };
    this.calls.push(call);
    return this.answer(call);
  };
}

/** An RSA signing key with its public JWK (carrying `kid` and `alg`). */
export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwk: JWK;
}

/** A fresh RS256 key pair, its public half exported as a JWK. */
export async function rsaKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  return { kid, privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" } };
}

/** Signs `claims` as an RS256 JWT with `key` (`kid` in the header). */
export function signRs256(claims: JWTPayload, key: SigningKey, header: { typ?: string } = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: key.kid, ...header }).sign(key.privateKey);
}

/** Base64url of a UTF-8 string or bytes. */
export function base64url(value: string | Uint8Array): string {
  const bytes = typeof value === "string" ? new TextEncoder().encode(value) : value;
  return Buffer.from(bytes).toString("base64url");
}

/** Now, in whole seconds since the epoch. */
export function epochSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Awaits a rejection and asserts it is an {@link AuthError} with this code and message. */
export async function expectAuthError(
  promise: Promise<unknown>,
  code: AuthError["code"],
  message: string,
): Promise<AuthError> {
  const error = await rejected(promise);
  expect(error).toBeInstanceOf(AuthError);
  if (!(error instanceof AuthError)) throw new Error("unreachable");
  expect({ code: error.code, message: error.message }).toEqual({ code, message });
  return error;
}

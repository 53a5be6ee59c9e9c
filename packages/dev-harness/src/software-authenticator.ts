// A software WebAuthn authenticator (ES256, "none" attestation) for workerd tests and the
// benchmark: real keys, real CBOR and real signatures, so a server's verification runs exactly as
// for a browser. WebCrypto only (no Node API): it runs in Node and in workerd. Chromium's virtual
// authenticator covers the browser side (full-oauth-provider's e2e).
import { isoCBOR } from "@simplewebauthn/server/helpers";
import { base64url } from "jose";

const encoder = new TextEncoder();
const b64 = (bytes: Uint8Array) => base64url.encode(bytes);
const sha256 = async (bytes: Uint8Array) =>
  new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(bytes)));

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((length, part) => length + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** An ECDSA signature as WebAuthn carries it: DER, not WebCrypto's r‖s. */
function derSignature(raw: Uint8Array): Uint8Array {
  const integer = (bytes: Uint8Array) => {
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0) start++;
    const trimmed = bytes.slice(start);
    const padded = (trimmed[0] ?? 0) & 0x80 ? concat(new Uint8Array([0]), trimmed) : trimmed;
    return concat(new Uint8Array([0x02, padded.length]), padded);
  };
  const body = concat(integer(raw.slice(0, 32)), integer(raw.slice(32)));
  return concat(new Uint8Array([0x30, body.length]), body);
}

export interface Registration {
  id: string;
  rawId: string;
  type: "public-key";
  response: { clientDataJSON: string; attestationObject: string; transports: string[] };
  clientExtensionResults: Record<string, never>;
}

export class SoftwareAuthenticator {
  readonly credentialId = crypto.getRandomValues(new Uint8Array(32));
  counter = 0;
  private keys: CryptoKeyPair | undefined;
  private userHandle: Uint8Array = new Uint8Array();
  /**
   * Whether it reports having verified the user (the UV flag, 0x04) in what it signs; `false` is
   * an authenticator that checks presence only (a plain security key without a PIN).
   */
  userVerified: boolean;

  constructor(options: { userVerified?: boolean } = {}) {
    this.userVerified = options.userVerified ?? true;
  }

  /** The authenticator data flags: user present, user verified if it did, and `extra`. */
  private flags(extra = 0): Uint8Array {
    return new Uint8Array([0x01 | (this.userVerified ? 0x04 : 0) | extra]);
  }

  get id(): string {
    return b64(this.credentialId);
  }

  private async keyPair(): Promise<CryptoKeyPair> {
    if (this.keys === undefined) {
      // Node's and workerd's typings differ (workerd's may be a single key): narrow, not assert.
      const generated: CryptoKeyPair | CryptoKey = await crypto.subtle.generateKey(
        { name: "ECDSA", namedCurve: "P-256" },
        true,
        ["sign", "verify"],
      );
      if (!("privateKey" in generated)) throw new Error("ECDSA generateKey returned a single key");
      this.keys = generated;
    }
    return this.keys;
  }

  private clientData(type: string, challenge: string, origin: string): Uint8Array {
    return encoder.encode(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
  }

  /** The credential's public key as a relying party stores it (COSE, ES256). */
  async cosePublicKey(): Promise<Uint8Array> {
    const { publicKey } = await this.keyPair();
    const jwk: JsonWebKey | ArrayBuffer = await crypto.subtle.exportKey("jwk", publicKey);
    if (jwk instanceof ArrayBuffer) throw new Error("exportKey(jwk) returned bytes");
    return isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, base64url.decode(jwk.x ?? "")],
        [-3, base64url.decode(jwk.y ?? "")],
      ]),
    );
  }

  /** navigator.credentials.create() for `options` (the server's JSON), made on `origin`. */
  async register(
    options: { challenge: string; rp: { id: string }; user: { id: string } },
    origin: string,
  ): Promise<Registration> {
    this.userHandle = base64url.decode(options.user.id);
    const authData = concat(
      await sha256(encoder.encode(options.rp.id)),
      this.flags(0x40),
      new Uint8Array([0, 0, 0, 0]),
      new Uint8Array(16),
      new Uint8Array([0, this.credentialId.length]),
      this.credentialId,
      await this.cosePublicKey(),
    );
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Map<string, string> | Uint8Array>([
        ["fmt", "none"],
        ["attStmt", new Map<string, string>()],
        ["authData", authData],
      ]),
    );
    return {
      id: this.id,
      rawId: this.id,
      type: "public-key",
      response: {
        clientDataJSON: b64(this.clientData("webauthn.create", options.challenge, origin)),
        attestationObject: b64(attestationObject),
        transports: ["internal"],
      },
      clientExtensionResults: {},
    };
  }

  /** navigator.credentials.get() for `options`, made on `origin` for relying party `rpId`. */
  async assert(options: { challenge: string }, origin: string, rpId: string) {
    const { privateKey } = await this.keyPair();
    this.counter++;
    const count = new Uint8Array(4);
    new DataView(count.buffer).setUint32(0, this.counter);
    const authenticatorData = concat(await sha256(encoder.encode(rpId)), this.flags(), count);
    const clientDataJSON = this.clientData("webauthn.get", options.challenge, origin);
    const signed = concat(authenticatorData, await sha256(clientDataJSON));
    const raw = new Uint8Array(
      await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, privateKey, new Uint8Array(signed)),
    );
    return {
      id: this.id,
      rawId: this.id,
      type: "public-key" as const,
      response: {
        clientDataJSON: b64(clientDataJSON),
        authenticatorData: b64(authenticatorData),
        signature: b64(derSignature(raw)),
        userHandle: b64(this.userHandle),
      },
      clientExtensionResults: {},
    };
  }
}

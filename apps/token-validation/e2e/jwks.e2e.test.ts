// The JWKS cache in the real runtime: one fetch per isolate however many requests wait for it,
// and a key server that fails or answers HTML is 503, never 401 (issue 9 §3, §4). jose's own
// remote key set starts one fetch per waiting request on Workers, so only workerd can prove this.
import { serveOnLoopback, startWranglerDev, type WranglerDev } from "@mcp-auth/dev-harness";
import { SignJWT, exportJWK, generateKeyPair, type JWK } from "jose";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUDIENCE } from "./constants.ts";

const ISSUER = "https://issuer.jwks-e2e.example";
/** How long the key server takes to answer: every concurrent request arrives while it is pending. */
const DELAY_MS = 500;

type Behaviour = "ok" | "fail" | "html";

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function signingKey(kid: string): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" } };
}

/** A key server with one path per behaviour, counting the fetches each receives. */
async function startKeyServer(keys: () => JWK[]) {
  const fetches: Record<Behaviour, number> = { ok: 0, fail: 0, html: 0 };
  const server = await serveOnLoopback((req, res) => {
    const behaviour = req.url?.slice(1);
    if (behaviour !== "ok" && behaviour !== "fail" && behaviour !== "html") {
      res.writeHead(404).end();
      return;
    }
    fetches[behaviour]++;
    setTimeout(() => {
      if (behaviour === "ok") {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: keys() }));
      } else if (behaviour === "fail") {
        res.writeHead(500).end("upstream-500-body");
      } else {
        res.writeHead(200, { "content-type": "text/html" }).end("<html>upstream-html-body</html>");
      }
    }, DELAY_MS);
  });
  return { origin: server.origin, fetches, stop: server.stop };
}

function token(key: SigningKey): Promise<string> {
  return new SignJWT({ scope: "notes:read" })
    .setProtectedHeader({ alg: "RS256", kid: key.kid, typ: "at+jwt" })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject("jwks-e2e-user")
    .setIssuedAt()
    .setExpirationTime("10m")
    .sign(key.privateKey);
}

/** `tools/list` with a bearer token: status, error code and `Retry-After`, and the body text. */
async function call(origin: string, bearer: string) {
  const response = await fetch(`${origin}/mcp`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${bearer}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2025-06-18",
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
  });
  const text = await response.text();
  const error = response.status === 200 ? undefined : (JSON.parse(text) as { error: string }).error;
  return { status: response.status, error, retryAfter: response.headers.get("retry-after"), text };
}

describe("JWKS in workerd (wrangler dev): one fetch at a time, failures are 503", () => {
  let keyA: SigningKey;
  let keyB: SigningKey;
  let unknown: SigningKey;
  let keyServer: Awaited<ReturnType<typeof startKeyServer>>;
  const apps: Partial<Record<Behaviour, WranglerDev>> = {};

  beforeAll(async () => {
    [keyA, keyB, unknown] = await Promise.all([signingKey("a"), signingKey("b"), signingKey("unknown")]);
    keyServer = await startKeyServer(() => [keyA.jwk, keyB.jwk]);
    const started = await Promise.all(
      (["ok", "fail", "html"] as const).map((behaviour) =>
        startWranglerDev({
          cwd: join(import.meta.dirname, ".."),
          vars: {
            AUTH_METHODS: "jwt",
            JWT_SECRET: "",
            JWT_ISSUER: ISSUER,
            JWT_AUDIENCE: AUDIENCE,
            JWT_JWKS_URL: `${keyServer.origin}/${behaviour}`,
            JWT_ALGORITHMS: "RS256",
            ALLOW_INSECURE_HTTP_LOOPBACK: "true",
          },
        }).then((dev) => [behaviour, dev] as const),
      ),
    );
    for (const [behaviour, dev] of started) apps[behaviour] = dev;
  });

  afterAll(async () => {
    await Promise.allSettled(Object.values(apps).map((dev) => dev.stop()));
    await keyServer.stop();
  });

  function origin(behaviour: Behaviour): string {
    const dev = apps[behaviour];
    if (dev === undefined) throw new Error(`no app for ${behaviour}`);
    return dev.origin;
  }

  it("50 concurrent requests on a cold isolate share one fetch; 50 unknown kids within the cooldown fetch nothing", async () => {
    const tokens = await Promise.all([token(keyA), token(keyB)]);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, index) => call(origin("ok"), tokens[index % 2] ?? "")),
    );
    expect(results.map((result) => result.status)).toEqual(Array.from({ length: 50 }, () => 200));
    expect(keyServer.fetches.ok).toBe(1);

    const stranger = await token(unknown);
    const refused = await Promise.all(Array.from({ length: 50 }, () => call(origin("ok"), stranger)));
    for (const result of refused) {
      expect(result).toMatchObject({ status: 401, error: "invalid_token" });
      expect(result.text).toContain("signed with a key this server does not know");
    }
    expect(keyServer.fetches.ok).toBe(1);
  });

  it.each<[Behaviour, string]>([
    ["fail", "upstream-500-body"],
    ["html", "upstream-html-body"],
  ])(
    "a key server answering %s: 503 + Retry-After for 50 concurrent and 20 later requests, one probe per 5 s",
    async (behaviour, body) => {
      const valid = await token(keyA);
      const started = Date.now();
      const concurrent = await Promise.all(Array.from({ length: 50 }, () => call(origin(behaviour), valid)));
      const later = [];
      for (let index = 0; index < 20; index++) later.push(await call(origin(behaviour), valid));
      for (const result of [...concurrent, ...later]) {
        expect(result).toMatchObject({ status: 503, error: "temporarily_unavailable" });
        expect(Number(result.retryAfter)).toBeGreaterThan(0);
        expect(Number(result.retryAfter)).toBeLessThanOrEqual(5);
        expect(result.text).not.toContain(body);
      }
      // One probe per 5 s while it fails (however long this loaded machine took for the 70).
      expect(keyServer.fetches[behaviour]).toBeGreaterThanOrEqual(1);
      expect(keyServer.fetches[behaviour]).toBeLessThanOrEqual(1 + Math.floor((Date.now() - started) / 5000));
    },
  );
});

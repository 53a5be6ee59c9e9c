import { jwtVerify } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { jwksKeyResolver, MAX_JWKS_BYTES } from "../src/jwks-cache.ts";
import { AuthError } from "../src/errors.ts";
import { FakeFetch, rsaKey, signRs256, type SigningKey } from "./fakes.ts";
import { rejected, thrown } from "./helpers.ts";

const URL_ = new URL("https://issuer.example/jwks");
let key: SigningKey;
let token: string;

beforeAll(async () => {
  key = await rsaKey("k");
  token = await signRs256({ sub: "x" }, key);
});

describe("jwksKeyResolver", () => {
  it("gives up a fetch whose request went away without settling it, and asks again after the cooldown", async () => {
    let clockMs = 0;
    // The first fetch never settles (its request was cancelled); later ones answer.
    const fake = new FakeFetch(() => new Promise<Response>(() => {}));
    const resolve = jwksKeyResolver({ url: URL_, fetch: fake.fetch, now: () => clockMs, timeoutSeconds: 0.05 });
    void jwtVerify(token, resolve).catch(() => undefined);
    const waiter = await rejected(jwtVerify(token, resolve));
    expect(waiter).toBeInstanceOf(AuthError);
    expect((waiter as AuthError).code).toBe("temporarily_unavailable");
    expect((waiter as AuthError).cause).toEqual({ code: "ERR_JWKS_UNAVAILABLE", reason: "abandoned" });
    expect(fake.calls).toHaveLength(1);
    fake.answer = () => Response.json({ keys: [key.jwk] });
    clockMs += 30_000;
    await expect(jwtVerify(token, resolve)).resolves.toMatchObject({ payload: { sub: "x" } });
    expect(fake.calls).toHaveLength(2);
  });

  it("a recovered key server is seen at the next probe (5 s), not after a whole cooldown", async () => {
    let clockMs = 0;
    const fake = new FakeFetch(() => new Response("down", { status: 503 }));
    const resolve = jwksKeyResolver({ url: URL_, fetch: fake.fetch, now: () => clockMs });
    const down = (await rejected(jwtVerify(token, resolve))) as AuthError;
    expect(down.code).toBe("temporarily_unavailable");
    expect(down.retryAfterSeconds).toBe(5);
    // The key server recovers one second later: until the next probe callers keep the 503.
    fake.answer = () => Response.json({ keys: [key.jwk] });
    clockMs += 1000;
    expect(((await rejected(jwtVerify(token, resolve))) as AuthError).retryAfterSeconds).toBe(4);
    expect(fake.calls).toHaveLength(1);
    clockMs += 4000;
    await expect(jwtVerify(token, resolve)).resolves.toMatchObject({ payload: { sub: "x" } });
    expect(fake.calls).toHaveLength(2);
  });

  it("after a success an unknown kid still refetches at most once per cooldown (30 s)", async () => {
    let clockMs = 0;
    const fake = new FakeFetch(() => Response.json({ keys: [key.jwk] }));
    const resolve = jwksKeyResolver({ url: URL_, fetch: fake.fetch, now: () => clockMs });
    await jwtVerify(token, resolve);
    const stranger = await signRs256({ sub: "y" }, await rsaKey("unknown"));
    for (const step of [0, 5000, 10_000, 14_000]) {
      clockMs += step;
      await expect(jwtVerify(stranger, resolve)).rejects.toThrow();
    }
    expect(fake.calls).toHaveLength(1);
    clockMs += 1000;
    await expect(jwtVerify(stranger, resolve)).rejects.toThrow();
    expect(fake.calls).toHaveLength(2);
  });

  it.each([0, -1, Number.NaN])("refuses a retry interval of %s", (retryAfterFailureSeconds) => {
    expect(thrown(() => jwksKeyResolver({ url: URL_, retryAfterFailureSeconds }))).toEqual(
      new Error("JWKS retryAfterFailureSeconds must be a positive number"),
    );
  });

  it("names the failure in the cause without the upstream body", async () => {
    const fake = new FakeFetch(() => new Response("<html>secret page</html>", { status: 200 }));
    const error = await rejected(jwtVerify(token, jwksKeyResolver({ url: URL_, fetch: fake.fetch })));
    expect((error as AuthError).cause).toEqual({ code: "ERR_JWKS_UNAVAILABLE", reason: "body is not JSON" });
    const big = new FakeFetch(() => new Response(" ".repeat(MAX_JWKS_BYTES + 1)));
    const tooBig = await rejected(jwtVerify(token, jwksKeyResolver({ url: URL_, fetch: big.fetch })));
    expect((tooBig as AuthError).cause).toEqual({ code: "ERR_JWKS_UNAVAILABLE", reason: "body too large" });
  });

  it.each([0, -1, Number.NaN])("refuses a cooldown of %s", (cooldownSeconds) => {
    expect(thrown(() => jwksKeyResolver({ url: URL_, cooldownSeconds }))).toEqual(
      new Error("JWKS cooldownSeconds must be a positive number"),
    );
  });
});

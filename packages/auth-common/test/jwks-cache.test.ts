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

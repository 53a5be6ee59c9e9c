import { describe, expect, it } from "vitest";
import {
  PASSWORD_HASH_PARAMETERS,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  WORKERS_PBKDF2_MAX_ITERATIONS,
  hashPassword,
  parsePasswordHash,
  passwordProblem,
  pepperFromSecret,
  verifyPassword,
  type Peppers,
} from "../src/password.ts";

const PASSWORD = "correct horse battery staple";
const pepperA = await pepperFromSecret("a".repeat(24) + "-pepper-secret-A");
const pepperB = await pepperFromSecret("b".repeat(24) + "-pepper-secret-B");
const current: Peppers = { current: pepperA };

describe("password hashes", () => {
  it("verify the password they were made from, and no other", async () => {
    const stored = await hashPassword(PASSWORD, current);
    expect(await verifyPassword(stored, PASSWORD, current)).toEqual({ ok: true, rehash: false });
    expect(await verifyPassword(stored, `${PASSWORD}!`, current)).toEqual({ ok: false, rehash: false });
    expect(await verifyPassword(stored, PASSWORD.toUpperCase(), current)).toEqual({ ok: false, rehash: false });
  });

  it("store their parameters and a fresh salt, never the password or the pepper", async () => {
    const [one, two] = [await hashPassword(PASSWORD, current), await hashPassword(PASSWORD, current)];
    expect(one).toMatch(/^\$pbkdf2-sha256\$i=100000,k=[A-Za-z0-9_-]{8}\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(one).not.toBe(two);
    for (const secretish of [PASSWORD, pepperA.secret, "horse"]) expect(one).not.toContain(secretish);
  });

  // `wrangler dev` accepts any iteration count; production Workers refuse PBKDF2 above 100,000
  // (deriveBits throws). This is the check that fails if the parameters are ever raised past it.
  it(`use parameters production Workers accept: PBKDF2 at most ${WORKERS_PBKDF2_MAX_ITERATIONS} iterations`, async () => {
    expect(WORKERS_PBKDF2_MAX_ITERATIONS).toBe(100_000);
    expect(PASSWORD_HASH_PARAMETERS.iterations).toBeLessThanOrEqual(WORKERS_PBKDF2_MAX_ITERATIONS);
    const parsed = parsePasswordHash(await hashPassword(PASSWORD, current));
    expect(parsed?.iterations).toBe(PASSWORD_HASH_PARAMETERS.iterations);
    await expect(hashPassword(PASSWORD, current, { iterations: WORKERS_PBKDF2_MAX_ITERATIONS + 1 })).rejects.toThrow(
      "PBKDF2 above 100000 iterations is refused by production Workers",
    );
    // A stored hash asking for more is never verified (it would throw on the edge).
    const over = (await hashPassword(PASSWORD, current)).replace("i=100000", "i=100001");
    expect(parsePasswordHash(over)).toBeUndefined();
    expect(await verifyPassword(over, PASSWORD, current)).toEqual({ ok: false, rehash: false });
  });

  it("ask to be rehashed when they match with older parameters or a previous pepper", async () => {
    const weaker = await hashPassword(PASSWORD, current, { iterations: 10_000 });
    expect(await verifyPassword(weaker, PASSWORD, current)).toEqual({ ok: true, rehash: true });
    expect(await verifyPassword(weaker, "not the password!", current)).toEqual({ ok: false, rehash: false });
    const underA = await hashPassword(PASSWORD, current);
    const rotated: Peppers = { current: pepperB, previous: [pepperA] };
    expect(await verifyPassword(underA, PASSWORD, rotated)).toEqual({ ok: true, rehash: true });
    // Once the old pepper is dropped, its hashes no longer verify.
    expect(await verifyPassword(underA, PASSWORD, { current: pepperB })).toEqual({ ok: false, rehash: false });
  });

  it.each([
    ["no stored hash (an unknown user)", null],
    ["an empty value", ""],
    ["another scheme", "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"],
    ["a truncated hash", "$pbkdf2-sha256$i=100000,k=abcdefgh$AAAA$BBBB"],
    ["characters outside base64url", "$pbkdf2-sha256$i=100000,k=abcdefgh$AAAAAAAAAAAAAAAAAAAAAA==$x"],
    [
      "zero iterations",
      "$pbkdf2-sha256$i=0,k=abcdefgh$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ],
  ])("never match %s", async (_name, stored) => {
    expect(await verifyPassword(stored, PASSWORD, current)).toEqual({ ok: false, rehash: false });
  });

  it("treat a password the same in composed and decomposed Unicode (NFC)", async () => {
    const composed = "caf\u00e9 au lait, s'il vous pla\u00eet";
    const decomposed = composed.normalize("NFD");
    expect(decomposed).not.toBe(composed);
    const stored = await hashPassword(composed, current);
    expect(await verifyPassword(stored, decomposed, current)).toEqual({ ok: true, rehash: false });
  });

  // "No such user" must not answer faster than "wrong password": both run one PBKDF2 at the
  // current parameters. Interleaved, so machine load falls on both alike.
  it("take the same time for an unknown user as for a wrong password", async () => {
    const stored = await hashPassword(PASSWORD, current);
    await verifyPassword(null, PASSWORD, current); // the dummy hash is made once per isolate
    const unknown: number[] = [];
    const wrong: number[] = [];
    for (let i = 0; i < 15; i++) {
      let start = performance.now();
      await verifyPassword(null, "wrong password guess", current);
      unknown.push(performance.now() - start);
      start = performance.now();
      await verifyPassword(stored, "wrong password guess", current);
      wrong.push(performance.now() - start);
    }
    const median = (values: number[]) => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
    const ratio = median(unknown) / median(wrong);
    expect(ratio).toBeGreaterThan(0.75);
    expect(ratio).toBeLessThan(1.33);
    // And the work is real: a tenth of the iterations would be far faster.
    const weak = await hashPassword(PASSWORD, current, { iterations: 10_000 });
    const start = performance.now();
    for (let i = 0; i < 5; i++) await verifyPassword(weak, "wrong password guess", current);
    expect((performance.now() - start) / 5).toBeLessThan(median(wrong) / 2);
  });
});

describe("password rules and peppers", () => {
  it.each([
    ["a".repeat(PASSWORD_MIN_LENGTH - 1), `A password needs at least ${PASSWORD_MIN_LENGTH} characters.`],
    ["a".repeat(PASSWORD_MIN_LENGTH), undefined],
    // Seven emoji are 14 UTF-16 units but 7 characters: too short.
    ["🔑".repeat(7), `A password needs at least ${PASSWORD_MIN_LENGTH} characters.`],
    ["🔑".repeat(PASSWORD_MIN_LENGTH), undefined],
    ["a".repeat(PASSWORD_MAX_LENGTH), undefined],
    ["a".repeat(PASSWORD_MAX_LENGTH + 1), `A password may have at most ${PASSWORD_MAX_LENGTH} characters.`],
  ])("passwordProblem(%j) → %j", (password, problem) => {
    expect(passwordProblem(password)).toBe(problem);
  });

  it("a pepper's id is a short fingerprint of its secret; a short secret is refused", async () => {
    expect(pepperA.id).toMatch(/^[A-Za-z0-9_-]{8}$/);
    expect((await pepperFromSecret(pepperA.secret)).id).toBe(pepperA.id);
    expect(pepperB.id).not.toBe(pepperA.id);
    await expect(pepperFromSecret("too short")).rejects.toThrow("a password pepper needs at least 32 characters");
  });
});

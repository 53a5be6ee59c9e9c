import { describe, expect, it } from "vitest";
import {
  SESSION_COOKIE,
  checkCsrfToken,
  clearedSessionCookie,
  csrfToken,
  fromAnotherSite,
  newSessionId,
  readSessionCookie,
  safeReturnTo,
  sessionCookie,
  sessionIdHash,
} from "../src/session.ts";

const ORIGIN = "https://mcp.example.com";
const SECRET = "csrf-secret-".repeat(4);
const withCookie = (cookie: string) => new Request(`${ORIGIN}/account`, { headers: { cookie } });

describe("session cookie", () => {
  it("carries a fresh 256-bit id each time, as a __Host- cookie the page's script cannot read", () => {
    const [one, two] = [newSessionId(), newSessionId()];
    expect(one).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(one).not.toBe(two);
    expect(sessionCookie(one, 3600)).toBe(
      `__Host-session=${one}; Path=/; Max-Age=3600; HttpOnly; Secure; SameSite=Lax`,
    );
    expect(clearedSessionCookie()).toBe("__Host-session=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax");
    expect(() => sessionCookie("x; Domain=evil.example", 60)).toThrow("not a session id");
  });

  it("is stored by hash only: the hash is stable, differs per id, and does not contain the id", async () => {
    const id = newSessionId();
    const hash = await sessionIdHash(id);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await sessionIdHash(id)).toBe(hash);
    expect(await sessionIdHash(newSessionId())).not.toBe(hash);
    expect(hash).not.toContain(id);
  });

  it("is read back from the Cookie header among other cookies", () => {
    const id = newSessionId();
    expect(readSessionCookie(withCookie(`theme=dark; ${SESSION_COOKIE}=${id}; lang=en`))).toBe(id);
  });

  it.each([
    ["no cookie at all", undefined],
    ["another cookie only", "theme=dark"],
    ["a malformed id", `${SESSION_COOKIE}=short`],
    ["an id with extra characters", `${SESSION_COOKIE}=${"A".repeat(43)}%00`],
    [
      "the cookie twice (a planted second one)",
      `${SESSION_COOKIE}=${"A".repeat(43)}; ${SESSION_COOKIE}=${"B".repeat(43)}`,
    ],
    ["a look-alike name", `session=${"A".repeat(43)}; __Host-sessionx=${"B".repeat(43)}`],
  ])("is ignored when the request has %s", (_name, cookie) => {
    const request = cookie === undefined ? new Request(ORIGIN) : withCookie(cookie);
    expect(readSessionCookie(request)).toBeUndefined();
  });
});

describe("CSRF tokens", () => {
  it("are bound to the session and to the form's purpose", async () => {
    const session = newSessionId();
    const token = await csrfToken(SECRET, session, "consent");
    expect(await checkCsrfToken(SECRET, session, "consent", token)).toBe(true);
    expect(await checkCsrfToken(SECRET, newSessionId(), "consent", token)).toBe(false);
    expect(await checkCsrfToken(SECRET, session, "revoke", token)).toBe(false);
    expect(await checkCsrfToken(`${SECRET}x`, session, "consent", token)).toBe(false);
  });

  it.each([
    ["missing", null],
    ["empty", ""],
    ["oversized", "A".repeat(101)],
    ["a near miss", "x"],
  ])("refuse a token that is %s", async (_name, presented) => {
    expect(await checkCsrfToken(SECRET, newSessionId(), "login", presented)).toBe(false);
  });
});

describe("where a form may come from", () => {
  const post = (headers: Record<string, string>) => new Request(`${ORIGIN}/login`, { method: "POST", headers });

  it.each([
    [{ "sec-fetch-site": "same-origin" }, false],
    [{ "sec-fetch-site": "same-origin", origin: "null" }, false],
    [{ "sec-fetch-site": "same-site" }, true],
    [{ "sec-fetch-site": "cross-site", origin: "https://evil.example" }, true],
    [{ "sec-fetch-site": "none" }, true],
    [{ origin: ORIGIN }, false],
    [{ origin: "null" }, false],
    [{ origin: "https://evil.example" }, true],
    [{}, false],
  ])("headers %j → from another site: %s", (headers, expected) => {
    expect(fromAnotherSite(post(headers), ORIGIN)).toBe(expected);
  });
});

describe("return_to after sign-in", () => {
  it("keeps this origin's /authorize with its query", () => {
    const back = "/authorize?response_type=code&client_id=abc&redirect_uri=http%3A%2F%2F127.0.0.1%3A33418%2Fcb";
    expect(safeReturnTo(back, ORIGIN)).toBe(back);
  });

  it.each([
    ["//evil.example/authorize?x=1"],
    ["https://evil.example/authorize?x=1"],
    [`${ORIGIN}/authorize?x=1`],
    ["/\\evil.example/authorize?x=1"],
    ["/authorize?x=1\\@evil"],
    ["/%2F%2Fevil.example/authorize?x=1"],
    ["/%5Cevil.example"],
    ["/authorize%2F..%2F..%2Fevil?x=1"],
    ["/authorize/../account?x=1"],
    ["/authorize"],
    ["/account"],
    ["/authorize?x=1#frag"],
    ["/authorize?x=1\r\nSet-Cookie: a=b"],
    ["/authorize?x=\t1"],
    ["javascript:alert(1)"],
    [" /authorize?x=1"],
    [""],
    [null],
    [`/authorize?${"a".repeat(5000)}`],
  ])("refuses %j", (value) => {
    expect(safeReturnTo(value, ORIGIN)).toBeUndefined();
  });
});

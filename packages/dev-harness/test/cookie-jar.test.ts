import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { CookieJar } from "../src/cookie-jar.ts";

const APP = "http://127.0.0.1:8790";
const OTHER_PORT = "http://127.0.0.1:8791";

describe("CookieJar", () => {
  it("sends a stored cookie back to the same origin only", () => {
    const jar = new CookieJar();
    expect(jar.setCookie(`${APP}/login`, "session=abc; Path=/; HttpOnly; SameSite=Lax")).toBe(true);
    expect(jar.header(`${APP}/consent`)).toBe("session=abc");
    expect(jar.header(OTHER_PORT)).toBeUndefined();
    expect(jar.header("http://localhost:8790/")).toBeUndefined();
  });

  it("a Domain attribute does not widen a cookie to another origin", () => {
    const jar = new CookieJar();
    jar.setCookie(`${APP}/`, "wide=1; Domain=127.0.0.1; Path=/");
    expect(jar.header(`${APP}/`)).toBe("wide=1");
    expect(jar.header(`${OTHER_PORT}/`)).toBeUndefined();
  });

  it("Path: default-path is the request's directory; path-match needs a / boundary", () => {
    const jar = new CookieJar();
    jar.setCookie(`${APP}/oauth/authorize`, "flow=1");
    jar.setCookie(`${APP}/`, "scoped=2; Path=/admin");
    expect(jar.header(`${APP}/oauth/consent`)).toBe("flow=1");
    expect(jar.header(`${APP}/oauth`)).toBe("flow=1");
    expect(jar.header(`${APP}/oauthx`)).toBeUndefined();
    expect(jar.header(`${APP}/`)).toBeUndefined();
    expect(jar.header(`${APP}/admin/users`)).toBe("scoped=2");
    expect(jar.header(`${APP}/administrator`)).toBeUndefined();
  });

  it("more specific paths come first, and name + path identifies a cookie", () => {
    const jar = new CookieJar();
    jar.setCookie(`${APP}/`, "a=root; Path=/");
    jar.setCookie(`${APP}/`, "a=deep; Path=/x/y");
    jar.setCookie(`${APP}/`, "a=root2; Path=/");
    expect(jar.header(`${APP}/x/y/z`)).toBe("a=deep; a=root2");
  });

  it("Max-Age expires a cookie on the injected clock and wins over Expires; Max-Age=0 deletes", () => {
    let now = Date.parse("2026-11-30T00:00:00Z");
    const jar = new CookieJar({ now: () => now });
    jar.setCookie(APP, "short=1; Max-Age=60; Expires=Wed, 01 Jan 2098 00:00:00 GMT");
    jar.setCookie(APP, "kept=1");
    expect(jar.get(APP, "short")).toBe("1");
    now += 61_000;
    expect(jar.get(APP, "short")).toBeUndefined();
    expect(jar.header(APP)).toBe("kept=1");
    jar.setCookie(APP, "kept=gone; Max-Age=0");
    expect(jar.header(APP)).toBeUndefined();
  });

  it("Expires in the past deletes; in the future keeps until then", () => {
    let now = Date.parse("2026-11-30T00:00:00Z");
    const jar = new CookieJar({ now: () => now });
    jar.setCookie(APP, "x=1");
    jar.setCookie(APP, "x=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
    expect(jar.get(APP, "x")).toBeUndefined();
    jar.setCookie(APP, "y=1; Expires=Mon, 30 Nov 2026 01:00:00 GMT");
    expect(jar.get(APP, "y")).toBe("1");
    now = Date.parse("2026-11-30T01:00:01Z");
    expect(jar.get(APP, "y")).toBeUndefined();
  });

  it("Secure cookies: accepted on https and loopback http, refused on other plain http", () => {
    const jar = new CookieJar();
    expect(jar.setCookie("https://example.com/", "s=1; Secure")).toBe(true);
    expect(jar.setCookie(`${APP}/`, "s=2; Secure")).toBe(true);
    expect(jar.setCookie("http://example.com/", "s=3; Secure")).toBe(false);
    expect(jar.header("https://example.com/")).toBe("s=1");
    expect(jar.header("http://example.com/")).toBeUndefined();
  });

  it.each([
    ["__Host-ok=1; Secure; Path=/", true],
    ["__Host-nosecure=1; Path=/", false],
    ["__Host-domain=1; Secure; Path=/; Domain=127.0.0.1", false],
    ["__Host-path=1; Secure; Path=/app", false],
    ["__Host-nopath=1; Secure", true], // set from "/", so the default path is "/"
    ["__Secure-ok=1; Secure; Path=/x", true],
    ["__Secure-nosecure=1", false],
  ])("prefix rules: %s → %s", (header, accepted) => {
    expect(new CookieJar().setCookie(`${APP}/`, header)).toBe(accepted);
  });

  it("__Host- without Path set from a deeper path is refused (its default path is not /)", () => {
    expect(new CookieJar().setCookie(`${APP}/oauth/consent`, "__Host-c=1; Secure")).toBe(false);
  });

  it("ignores a Set-Cookie without a name", () => {
    const jar = new CookieJar();
    expect(jar.setCookie(APP, "=value")).toBe(false);
    expect(jar.setCookie(APP, "novalue")).toBe(false);
    expect(jar.header(APP)).toBeUndefined();
  });

  it("fetch(): stores every Set-Cookie of a real answer, sends them next time, does not follow redirects", async () => {
    const seen: (string | undefined)[] = [];
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      seen.push(req.headers.cookie);
      if (req.url === "/login") {
        res.setHeader("set-cookie", ["session=s1; Path=/; HttpOnly", "__Host-csrf=t1; Secure; Path=/"]);
        res.writeHead(302, { location: "/consent" }).end();
      } else {
        res.end("ok");
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const jar = new CookieJar();
      const jarFetch = jar.fetch();
      const login = await jarFetch(`${origin}/login`, { method: "POST" });
      expect(login.status).toBe(302);
      expect(login.headers.get("location")).toBe("/consent");
      await login.body?.cancel();
      const consent = await jarFetch(`${origin}/consent`);
      expect(await consent.text()).toBe("ok");
      expect(seen).toEqual([undefined, "session=s1; __Host-csrf=t1"]);
    } finally {
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    }
  });
});

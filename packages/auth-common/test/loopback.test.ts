import { describe, expect, it } from "vitest";
import { isLoopbackHostname, isTrustedServerUrl } from "../src/loopback.ts";

describe("isTrustedServerUrl", () => {
  it.each([
    ["https://idp.example.com/jwks", false, true],
    ["https://127.0.0.1:8443/x", false, true],
    ["http://127.0.0.1:8791/jwks", false, false],
    ["http://127.0.0.1:8791/jwks", true, true],
    ["http://localhost:8791/jwks", true, true],
    ["http://[::1]:8791/jwks", true, true],
    ["http://LOCALHOST:8791/jwks", true, true],
    ["http://localhost.evil.com/jwks", true, false],
    ["http://127.0.0.2/jwks", true, false],
    ["http://10.0.0.1/jwks", true, false],
    ["https://user:pw@idp.example.com/jwks", false, false],
    ["http://user@127.0.0.1:8791/jwks", true, false],
    ["ftp://127.0.0.1/jwks", true, false],
  ])("%s with opt-in %s → %s", (url, optIn, expected) => {
    expect(isTrustedServerUrl(new URL(url), optIn)).toBe(expected);
  });

  it("knows exactly three loopback names", () => {
    expect(["127.0.0.1", "localhost", "[::1]", "::1", "127.1", "0.0.0.0"].map(isLoopbackHostname)).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
  });
});

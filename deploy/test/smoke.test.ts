// The smoke test's verdicts on answers made up here (no server): what counts as Cloudflare's zone
// rather than the Worker, and an origin refused before any request. The same verdicts against the
// real apps: smoke.e2e.test.ts.
import { describe, expect, it } from "vitest";
import { smokeTest, zoneRefusal } from "../lib/smoke.ts";

const answer = (status: number, headers: Record<string, string>, body: string) => ({
  status,
  headers: new Headers(headers),
  body,
});

describe("zoneRefusal", () => {
  it("names a challenge page by its cf-mitigated header, whatever the status", () => {
    expect(zoneRefusal(answer(403, { "cf-mitigated": "challenge", "content-type": "text/html" }, "<html>"))).toBe(
      "challenge page (cf-mitigated: challenge)",
    );
    expect(zoneRefusal(answer(503, { "cf-mitigated": "challenge" }, ""))).toBe(
      "challenge page (cf-mitigated: challenge)",
    );
  });

  it("names Cloudflare's HTML block page and its error codes", () => {
    const blockPage = "<html><title>Attention Required! | Cloudflare</title>Sorry, you have been blocked</html>";
    expect(zoneRefusal(answer(403, { "content-type": "text/html; charset=UTF-8" }, blockPage))).toBe("block page");
    expect(zoneRefusal(answer(403, { "content-type": "text/plain" }, "error code: 1010"))).toBe(
      "block (error code: 1010)",
    );
  });

  it("leaves the Worker's own answers alone: JSON refusals, and any success", () => {
    const forbidden = JSON.stringify({
      jsonrpc: "2.0",
      error: { code: -32000, message: "Forbidden: Invalid Host: x" },
      id: null,
    });
    expect(zoneRefusal(answer(403, { "content-type": "application/json" }, forbidden))).toBeUndefined();
    expect(
      zoneRefusal(answer(401, { "content-type": "application/json" }, '{"error":"invalid_token"}')),
    ).toBeUndefined();
    // The landing page mentions Cloudflare Workers: a 200 is never a refusal.
    expect(
      zoneRefusal(answer(200, { "content-type": "text/html" }, "<html>on Cloudflare Workers</html>")),
    ).toBeUndefined();
  });
});

describe("smokeTest: the origin it is given", () => {
  const noRequest: typeof fetch = () => Promise.reject(new Error("no request may be made"));
  for (const [given, detail, fix] of [
    [
      "mcp.example.com",
      '"mcp.example.com" is not a URL',
      "Pass the Worker's origin, e.g. https://mcp-no-auth.example.workers.dev",
    ],
    [
      "https://mcp.example.com/mcp",
      "https://mcp.example.com/mcp is not an origin (scheme and host only)",
      "Pass https://mcp.example.com without a path, query or fragment.",
    ],
    [
      "ftp://mcp.example.com",
      "ftp://mcp.example.com is not an origin (scheme and host only)",
      "Pass https://<host> without a path, query or fragment.",
    ],
  ] as const) {
    it(`refuses ${given} before any request`, async () => {
      expect(await smokeTest("no-auth", given, { fetch: noRequest })).toEqual({
        ok: false,
        warnings: [],
        checks: [{ name: "origin", ok: false, detail, fix }],
      });
    });
  }

  it("takes an origin with a trailing slash as that origin", async () => {
    const asked: string[] = [];
    const recording: typeof fetch = (input) => {
      asked.push(input instanceof Request ? input.url : input.toString());
      return Promise.reject(
        new TypeError("fetch failed", { cause: Object.assign(new Error("refused"), { code: "ECONNREFUSED" }) }),
      );
    };
    const result = await smokeTest("no-auth", "https://mcp.example.com/", { fetch: recording });
    expect(asked).toEqual(["https://mcp.example.com/"]);
    expect(result.checks).toEqual([
      expect.objectContaining({
        name: "GET /",
        ok: false,
        detail: "no answer from https://mcp.example.com: connection refused (nothing listens there)",
      }),
    ]);
  });
});

describe("smokeTest: token-validation's anonymous callers", () => {
  // A Worker in migration mode, as far as the smoke test asks: the page, and /mcp serving anyone.
  const migrationMode: typeof fetch = (input) => {
    const url = new URL(input instanceof Request ? input.url : input);
    if (url.pathname === "/") {
      return Promise.resolve(
        new Response("<html>token-validation</html>", { headers: { "content-type": "text/html" } }),
      );
    }
    return Promise.resolve(Response.json({ jsonrpc: "2.0", id: 1, result: {} }));
  };

  it("with AUTH_MODE=optional in the deploy config, a 200 at /mcp is the answer expected: no warning", async () => {
    const result = await smokeTest("token-validation", "https://mcp.example.com", {
      fetch: migrationMode,
      vars: { AUTH_MODE: "optional" },
    });
    expect(result).toEqual({
      ok: true,
      warnings: [],
      checks: [
        { name: "GET /", ok: true, detail: "200 (text/html)" },
        {
          name: "POST /mcp without a credential",
          ok: true,
          detail: "200: anonymous callers are served (AUTH_MODE=optional)",
        },
      ],
    });
  });

  it("without the deploy config's vars, a 200 passes with a warning naming AUTH_MODE", async () => {
    const result = await smokeTest("token-validation", "https://mcp.example.com", { fetch: migrationMode });
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([
      "https://mcp.example.com/mcp serves callers without a credential (AUTH_MODE=optional, the migration mode). " +
        'If that is not meant, set AUTH_MODE to "required" in apps/token-validation/wrangler.deploy.jsonc and deploy again.',
    ]);
  });
});

describe("smokeTest: a redirect in front of the Worker", () => {
  it("is not followed: the check fails naming where it points", async () => {
    const redirecting: typeof fetch = () =>
      Promise.resolve(new Response(null, { status: 301, headers: { location: "https://www.example.com/" } }));
    const result = await smokeTest("no-auth", "https://example.com", { fetch: redirecting });
    expect(result.checks[0]).toEqual({
      name: "GET /",
      ok: false,
      detail: "301: redirects to https://www.example.com/ (expected 200 at https://example.com itself)",
      fix: "Smoke-test and give clients the origin that answers (https://www.example.com), or remove the redirect rule in front of the Worker.",
    });
    expect(result.ok).toBe(false);
  });
});

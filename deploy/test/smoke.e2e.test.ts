// The live-URL smoke test against each app under `wrangler dev`, as if it were the deployed
// Worker: every app green as the READMEs configure it, then the failures a first deploy meets: a
// PUBLIC_ORIGIN other than the URL asked, an origin nothing listens on, and Cloudflare's bot
// protection in front of the Worker (a local stand-in for the zone: there is no zone here).
import { DEV_PROXY_CLIENT, startDevIdp, type DevIdp } from "@mcp-auth/dev-idp";
import {
  freePort,
  serveOnLoopback,
  startWranglerDev,
  type LoopbackServer,
  type WranglerDev,
} from "@mcp-auth/dev-harness";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AI_CLIENT_USER_AGENT, smokeTest, type SmokeResult } from "../lib/smoke.ts";

const ROOT = join(import.meta.dirname, "..", "..");

/** How the stand-in for Cloudflare's zone treats requests: pass them on, or refuse AI clients / everyone. */
type ZoneMode = "pass" | "block-ai-clients" | "block-all";

/** Cloudflare's challenge page, as its zone answers a request it challenges. */
const CHALLENGE_PAGE =
  "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>" +
  '<script src="/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1"></script>' +
  "Enable JavaScript and cookies to continue. Performance &amp; security by Cloudflare</body></html>";

/**
 * A local stand-in for a Cloudflare zone in front of a Worker: passes requests on to the Worker
 * unchanged (Host included, as the edge does), or answers like the zone's bot protection does
 * (403, `cf-mitigated: challenge`, Cloudflare's HTML) without reaching the Worker. With `host`, every
 * request reaches the Worker with that Host, as a custom domain's would.
 */
async function zoneStandIn(target: () => number, mode: () => ZoneMode, host?: string): Promise<LoopbackServer> {
  return serveOnLoopback((req, res) => {
    const blocked =
      mode() === "block-all" ||
      (mode() === "block-ai-clients" && (req.headers["user-agent"] ?? "").includes(AI_CLIENT_USER_AGENT));
    if (blocked) {
      req.resume();
      res.writeHead(403, {
        "content-type": "text/html; charset=UTF-8",
        "cf-mitigated": "challenge",
        server: "cloudflare",
      });
      res.end(CHALLENGE_PAGE);
      return;
    }
    const upstream = httpRequest(
      {
        host: "127.0.0.1",
        port: target(),
        method: req.method,
        path: req.url,
        headers: host === undefined ? req.headers : { ...req.headers, host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.writeHead(502).end());
    req.pipe(upstream);
  });
}

/** The checks by name, for assertions that read like the report. */
const byName = (result: SmokeResult) => Object.fromEntries(result.checks.map((check) => [check.name, check]));

describe("smokeTest against the apps under wrangler dev", () => {
  let idp: DevIdp;
  let noAuth: WranglerDev;
  let tokenValidation: WranglerDev;
  let tokenValidationWithAs: WranglerDev;
  let oauthProxy: WranglerDev;
  let fullOauthProvider: WranglerDev;
  /** oauth-proxy as a plain `wrangler deploy` after `--var` flags leaves it: PUBLIC_ORIGIN "". */
  let resetProxy: WranglerDev;
  let zone: LoopbackServer;
  /** Everything started, stopped after the tests (a start that failed leaves nothing here). */
  const running: { stop(): Promise<void> }[] = [];
  let zoneMode: ZoneMode = "pass";
  /** full-oauth-provider's PUBLIC_ORIGIN: the zone stand-in's origin (on `localhost`). */
  let fopPublicOrigin: string;
  let proxyOrigin: string;

  beforeAll(async () => {
    idp = await startDevIdp({ port: 0 });
    running.push(idp);
    zone = await zoneStandIn(
      () => fullOauthProvider.port,
      () => zoneMode,
    );
    running.push(zone);
    fopPublicOrigin = `http://localhost:${zone.port}`;
    const proxyPort = await freePort();
    proxyOrigin = `http://localhost:${proxyPort}`;
    const start = (dir: string, options: { vars?: Record<string, string>; prepare?: string[][]; port?: number } = {}) =>
      startWranglerDev({ cwd: join(ROOT, "apps", dir), startTimeoutMs: 300_000, ...options });
    const tvVars = {
      AUTH_METHODS: "api_key,jwt",
      JWT_SECRET: "smoke-only-hs256-secret-never-deployed-0123456789",
      JWT_ISSUER: "https://issuer.example.com",
      JWT_AUDIENCE: "https://mcp.example.com/mcp",
    };
    const started = await Promise.allSettled([
      start("no-auth"),
      start("token-validation", { vars: tvVars, prepare: [["d1", "migrations", "apply", "KEYS_DB", "--local"]] }),
      start("token-validation", {
        vars: {
          AUTH_METHODS: "jwt",
          JWT_SECRET: "",
          JWT_ISSUER: idp.issuer,
          JWT_AUDIENCE: "http://localhost:8788/mcp",
          JWT_JWKS_URL: idp.jwksUrl,
          JWT_ALGORITHMS: "RS256",
          AUTHORIZATION_SERVERS: idp.issuer,
          ALLOW_INSECURE_HTTP_LOOPBACK: "true",
        },
      }),
      start("oauth-proxy", {
        port: proxyPort,
        vars: {
          PUBLIC_ORIGIN: proxyOrigin,
          UPSTREAM: "oidc",
          UPSTREAM_ISSUER: idp.issuer,
          UPSTREAM_CLIENT_ID: DEV_PROXY_CLIENT.clientId,
          UPSTREAM_CLIENT_SECRET: DEV_PROXY_CLIENT.clientSecret,
          ALLOW_INSECURE_HTTP_LOOPBACK: "true",
        },
      }),
      start("full-oauth-provider", {
        prepare: [["d1", "migrations", "apply", "DB", "--local"]],
        vars: {
          PUBLIC_ORIGIN: fopPublicOrigin,
          PASSWORD_PEPPER: "smoke-only-password-pepper-never-deployed-01234",
          PASSWORD_PEPPER_PREVIOUS: "",
          SESSION_SECRET: "smoke-only-session-secret-never-deployed-0123",
          ALLOW_INSECURE_HTTP_LOOPBACK: "true",
        },
      }),
      start("oauth-proxy", {
        vars: {
          PUBLIC_ORIGIN: "",
          UPSTREAM: "oidc",
          UPSTREAM_ISSUER: idp.issuer,
          UPSTREAM_CLIENT_ID: DEV_PROXY_CLIENT.clientId,
          UPSTREAM_CLIENT_SECRET: DEV_PROXY_CLIENT.clientSecret,
          ALLOW_INSECURE_HTTP_LOOPBACK: "true",
        },
      }),
    ]);
    for (const result of started) if (result.status === "fulfilled") running.push(result.value);
    const [a, b, c, d, e, f] = started;
    if (a.status === "fulfilled") noAuth = a.value;
    if (b.status === "fulfilled") tokenValidation = b.value;
    if (c.status === "fulfilled") tokenValidationWithAs = c.value;
    if (d.status === "fulfilled") oauthProxy = d.value;
    if (e.status === "fulfilled") fullOauthProvider = e.value;
    if (f.status === "fulfilled") resetProxy = f.value;
    const failed = started.find((result): result is PromiseRejectedResult => result.status === "rejected");
    if (failed !== undefined) throw failed.reason;
  });

  afterAll(async () => {
    await Promise.allSettled(running.map((server) => server.stop()));
  });

  it("no-auth: / and an MCP client's initialize + tools/list through /mcp are green", async () => {
    const result = await smokeTest("no-auth", noAuth.origin);
    expect(result.checks.map((check) => [check.name, check.ok])).toEqual([
      ["GET /", true],
      ["MCP initialize and tools/list at /mcp", true],
    ]);
    expect(byName(result)["MCP initialize and tools/list at /mcp"]?.detail).toMatch(/^200: 5 tools \(.*whoami.*\)$/);
    expect(result).toMatchObject({ ok: true, warnings: [] });
  });

  it("token-validation without AUTHORIZATION_SERVERS: 401 with a Bearer challenge and no resource_metadata", async () => {
    const result = await smokeTest("token-validation", tokenValidation.origin);
    expect(result.checks.map((check) => [check.name, check.ok])).toEqual([
      ["GET /", true],
      ["POST /mcp without a credential", true],
    ]);
    expect(byName(result)["POST /mcp without a credential"]?.detail).toContain("no resource_metadata");
    expect(result).toMatchObject({ ok: true, warnings: [] });
  });

  it("token-validation with AUTHORIZATION_SERVERS: the 401 names its metadata, whose resource is this /mcp", async () => {
    const vars = { AUTHORIZATION_SERVERS: idp.issuer };
    const result = await smokeTest("token-validation", tokenValidationWithAs.origin, { vars });
    expect(result.checks.map((check) => [check.name, check.ok])).toEqual([
      ["GET /", true],
      ["POST /mcp without a credential", true],
      ["protected-resource metadata", true],
    ]);
    expect(byName(result)["protected-resource metadata"]?.detail).toBe(
      `resource ${tokenValidationWithAs.origin}/mcp, authorization_servers ${idp.issuer}`,
    );
    expect(result).toMatchObject({ ok: true, warnings: [] });
  });

  it("token-validation whose deploy config sets AUTHORIZATION_SERVERS but the live Worker lacks it: fails", async () => {
    const result = await smokeTest("token-validation", tokenValidation.origin, {
      vars: { AUTHORIZATION_SERVERS: "https://issuer.example.com" },
    });
    expect(result.ok).toBe(false);
    expect(byName(result)["POST /mcp without a credential"]).toMatchObject({
      ok: false,
      detail: "401 without resource_metadata: a client cannot discover where to sign in",
      fix: expect.stringContaining(
        "`npx -y pnpm@10.34.9 exec wrangler deploy --config wrangler.deploy.jsonc` in apps/token-validation",
      ) as string,
    });
  });

  for (const app of ["oauth-proxy", "full-oauth-provider"] as const) {
    it(`${app}: /, the 401 with resource_metadata, both metadata documents naming PUBLIC_ORIGIN`, async () => {
      const origin = app === "oauth-proxy" ? proxyOrigin : fopPublicOrigin;
      const result = await smokeTest(app, origin);
      expect(result.checks.map((check) => [check.name, check.ok])).toEqual([
        ["GET /", true],
        ["POST /mcp without a credential", true],
        ["protected-resource metadata", true],
        ["authorization-server metadata", true],
      ]);
      expect(byName(result)["POST /mcp without a credential"]?.detail).toBe(
        `401 with a Bearer challenge naming resource_metadata ${origin}/.well-known/oauth-protected-resource/mcp`,
      );
      expect(byName(result)["authorization-server metadata"]?.detail).toBe(`issuer ${origin}`);
      expect(result).toMatchObject({ ok: true, warnings: [] });
    });
  }

  it("oauth-proxy asked at another origin than its PUBLIC_ORIGIN: fails, naming both and the fix", async () => {
    // The same Worker, asked at 127.0.0.1 while its PUBLIC_ORIGIN is http://localhost:<port>.
    const other = `http://127.0.0.1:${oauthProxy.port}`;
    const result = await smokeTest("oauth-proxy", other);
    expect(result.ok).toBe(false);
    expect(byName(result)["GET /"]).toEqual({
      name: "GET /",
      ok: false,
      detail: `403: the Worker's PUBLIC_ORIGIN is ${proxyOrigin}, not ${other} (it answers on ${proxyOrigin} only)`,
      fix:
        `Set PUBLIC_ORIGIN to "${other}" in apps/oauth-proxy/wrangler.deploy.jsonc and deploy again ` +
        `(\`npm run deploy -- oauth-proxy\`). Or, if ${proxyOrigin} is right, smoke-test that origin.`,
    });
    expect(byName(result)["POST /mcp without a credential"]).toMatchObject({
      ok: false,
      detail: "401 without resource_metadata: a client cannot discover where to sign in",
    });
    for (const name of ["protected-resource metadata", "authorization-server metadata"]) {
      expect(byName(result)[name]).toMatchObject({ ok: false, detail: expect.stringContaining(proxyOrigin) as string });
    }
  });

  it("oauth-proxy deployed without PUBLIC_ORIGIN (a --var lost on the next deploy): 500 named, and the fix", async () => {
    const result = await smokeTest("oauth-proxy", resetProxy.origin);
    expect(result.ok).toBe(false);
    expect(byName(result)["GET /"]).toEqual({
      name: "GET /",
      ok: false,
      detail: expect.stringMatching(/^500 server_misconfigured: .*PUBLIC_ORIGIN: required/) as string,
      fix:
        "Set what it names: vars in apps/oauth-proxy/wrangler.deploy.jsonc, secrets with " +
        "`npx -y pnpm@10.34.9 exec wrangler secret put NAME --config wrangler.deploy.jsonc` in apps/oauth-proxy; " +
        "`npm run deploy -- oauth-proxy --check` lists every problem. Then deploy again.",
    });
    // Nothing of the configuration's values leaks into the report, only the variable's name.
    expect(JSON.stringify(result)).not.toContain(DEV_PROXY_CLIENT.clientSecret);
  });

  it("an origin nothing listens on: one failed check with a clear reason and no stack", async () => {
    const port = await freePort();
    const result = await smokeTest("oauth-proxy", `http://127.0.0.1:${port}`);
    expect(result).toEqual({
      ok: false,
      warnings: [],
      checks: [
        {
          name: "GET /",
          ok: false,
          detail: `no answer from http://127.0.0.1:${port}: connection refused (nothing listens there)`,
          fix: expect.stringContaining("wrangler deployments list") as string,
        },
      ],
    });
    expect(JSON.stringify(result)).not.toMatch(/\n\s+at /);
  });

  it("a zone that challenges AI clients: every check green, and a warning naming the dashboard settings", async () => {
    zoneMode = "block-ai-clients";
    try {
      const result = await smokeTest("full-oauth-provider", fopPublicOrigin);
      expect(result.ok).toBe(true);
      expect(result.checks.every((check) => check.ok)).toBe(true);
      expect(result.warnings).toEqual([
        `A request with User-Agent: Claude-User (how Claude fetches for a person) to ${fopPublicOrigin}/mcp was ` +
          "answered 403 by Cloudflare's challenge page (cf-mitigated: challenge), not by the Worker: AI clients " +
          "cannot reach this server. In the Cloudflare dashboard, open the domain's Security settings, filter by " +
          '"Bot traffic", and turn off "Block AI bots" and "Bot fight mode" for this zone (Bot fight mode cannot be ' +
          "skipped for one hostname; Super Bot Fight Mode, on paid plans, can, by a WAF custom rule's Skip action); " +
          "then run the smoke test again.",
      ]);
    } finally {
      zoneMode = "pass";
    }
  });

  it("a zone that challenges everyone: the checks fail as the zone's answer, not the Worker's", async () => {
    zoneMode = "block-all";
    try {
      const result = await smokeTest("full-oauth-provider", fopPublicOrigin);
      expect(result.ok).toBe(false);
      expect(byName(result)["GET /"]).toMatchObject({
        ok: false,
        detail:
          "403 from Cloudflare's challenge page (cf-mitigated: challenge) in front of the Worker (expected 200 from the Worker)",
        fix: expect.stringContaining('"Block AI bots"') as string,
      });
      expect(result.warnings).toHaveLength(1);
    } finally {
      zoneMode = "pass";
    }
  });

  it("no-auth at a hostname missing from ALLOWED_HOSTNAMES: the Worker's 403, its fix naming the variable", async () => {
    // As if mcp.example.com were routed to this Worker: requests reach it with that Host.
    const customDomain = await zoneStandIn(
      () => noAuth.port,
      () => "pass",
      "mcp.example.com",
    );
    const result = await smokeTest("no-auth", customDomain.origin).finally(() => customDomain.stop());
    expect(result.ok).toBe(false);
    expect(byName(result)["GET /"]).toEqual({
      name: "GET /",
      ok: false,
      detail: "403: the Worker does not answer the host mcp.example.com (Forbidden: Invalid Host: mcp.example.com)",
      fix: "Add mcp.example.com to ALLOWED_HOSTNAMES in apps/no-auth/wrangler.deploy.jsonc and deploy again (`npm run deploy -- no-auth`).",
    });
    // The Worker's own JSON 403 is not Cloudflare's bot protection: no warning.
    expect(result.warnings).toEqual([]);
  });
});

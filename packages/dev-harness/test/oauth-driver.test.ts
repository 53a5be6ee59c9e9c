import { createHash, randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_PROXY_CLIENT, basicAuth, startDevIdp, type DevIdp } from "../src/dev-idp.ts";
import { serveOnLoopback, type LoopbackServer } from "../src/loopback-server.ts";
import { HeadlessBrowser, authorizeHeadlessly } from "../src/oauth-driver.ts";

/** The client's redirect URI: the driver must stop here without fetching it (nothing listens). */
const CLIENT_CALLBACK = "http://127.0.0.1:9/callback";

let idp: DevIdp;
/** A stand-in for apps/oauth-proxy: our consent page, optionally after an upstream dev-idp login. */
let proxy: LoopbackServer;
/** PKCE verifiers of the fake proxy's upstream requests, by state. */
const upstreamVerifiers = new Map<string, string>();

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

function idpAuthorizeUrl(redirectUri: string, extra: Record<string, string> = {}): { url: URL; verifier: string } {
  const { verifier, challenge } = pkce();
  const url = new URL(idp.authorizationUrl);
  url.search = new URLSearchParams({
    client_id: DEV_PROXY_CLIENT.clientId,
    response_type: "code",
    redirect_uri: redirectUri,
    scope: "openid profile email",
    state: "client-state",
    code_challenge: challenge,
    code_challenge_method: "S256",
    ...extra,
  }).toString();
  return { url, verifier };
}

async function redeem(code: string | null, redirectUri: string, verifier: string): Promise<Record<string, unknown>> {
  const response = await fetch(idp.tokenUrl, {
    method: "POST",
    headers: { authorization: basicAuth(DEV_PROXY_CLIENT), "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code: code ?? "",
      redirect_uri: redirectUri,
      code_verifier: verifier,
    }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

/**
 * The ID token's claims, unverified: it came straight from dev-idp's token endpoint (OIDC Core
 * §3.1.3.7 lets a client skip the signature then); dev-idp's own tests verify it.
 */
function idTokenClaims(idToken: unknown): Record<string, unknown> {
  const payload = String(idToken).split(".")[1] ?? "";
  return JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { location }).end();
}

/** The consent page contract: one form, a `handle`, scope checkboxes, approve/deny buttons. */
function consentPage(handle: string): string {
  return `<!doctype html><html><head><title>Allow access?</title>
<script>document.addEventListener("submit", () => { /* <form action="/decoy"> */ });</script></head>
<body><h1>Allow &quot;Test client&quot; to use your notes?</h1>
<form method='post' action="/authorize">
  <input type="hidden" name="handle" value="${handle.replaceAll("&", "&amp;").replaceAll('"', "&quot;")}">
  <label><input type="checkbox" name="scope" value="notes:read" checked> read</label>
  <label><input type="checkbox" name="scope" value="notes:write" checked> write</label>
  <label><input type="checkbox" name="scope" value="notes:admin"> admin (not preselected)</label>
  <button type="submit" name="decision" value="approve">Allow</button>
  <button type="submit" name="decision" value="deny">Deny</button>
</form></body></html>`;
}

/** The state of one pending authorization on the fake proxy. */
interface Pending {
  clientRedirect: string;
  clientState: string;
  sub: string | undefined;
}
const pending = new Map<string, Pending>();

async function fakeProxy(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", proxy.origin);
  if (req.method === "GET" && url.pathname === "/authorize") {
    // The handle carries characters the page must escape and the driver must decode.
    const handle = `h&"${randomBytes(6).toString("hex")}`;
    const entry: Pending = {
      clientRedirect: url.searchParams.get("redirect_uri") ?? "",
      clientState: url.searchParams.get("state") ?? "",
      sub: undefined,
    };
    pending.set(handle, entry);
    if (url.searchParams.get("upstream") === "1") {
      const { url: upstream, verifier } = idpAuthorizeUrl(`${proxy.origin}/callback`, { state: handle });
      upstreamVerifiers.set(handle, verifier);
      redirect(res, upstream.href);
      return;
    }
    res.writeHead(200, { "content-type": "text/html", "set-cookie": "consent=1; Path=/; HttpOnly; SameSite=Lax" });
    res.end(consentPage(handle));
    return;
  }
  if (req.method === "GET" && url.pathname === "/callback") {
    const handle = url.searchParams.get("state") ?? "";
    const entry = pending.get(handle);
    const tokens = await redeem(
      url.searchParams.get("code"),
      `${proxy.origin}/callback`,
      upstreamVerifiers.get(handle) ?? "",
    );
    const claims = idTokenClaims(tokens.id_token);
    if (entry !== undefined && typeof claims.sub === "string") entry.sub = claims.sub;
    res.writeHead(200, { "content-type": "text/html", "set-cookie": "consent=1; Path=/; HttpOnly; SameSite=Lax" });
    res.end(consentPage(handle));
    return;
  }
  if (req.method === "POST" && url.pathname === "/authorize") {
    const form = new URLSearchParams(await readBody(req));
    const entry = pending.get(form.get("handle") ?? "");
    const problem =
      req.headers.origin !== proxy.origin
        ? `bad Origin ${String(req.headers.origin)}`
        : req.headers["content-type"] !== "application/x-www-form-urlencoded"
          ? "bad content-type"
          : req.headers.cookie !== "consent=1"
            ? "no consent cookie"
            : entry === undefined
              ? "unknown handle"
              : undefined;
    if (problem !== undefined || entry === undefined) {
      res.writeHead(400, { "content-type": "text/plain" }).end(`refused: ${problem ?? ""}`);
      return;
    }
    const back = new URL(entry.clientRedirect);
    back.searchParams.set("state", entry.clientState);
    if (form.get("decision") === "approve") {
      back.searchParams.set("code", "proxy-code");
      back.searchParams.set("granted", form.getAll("scope").join(" "));
      if (entry.sub !== undefined) back.searchParams.set("sub", entry.sub);
    } else {
      back.searchParams.set("error", "access_denied");
    }
    redirect(res, back.href);
    return;
  }
  if (url.pathname === "/loop") {
    redirect(res, "/loop");
    return;
  }
  if (url.pathname === "/no-location") {
    res.writeHead(302).end();
    return;
  }
  if (url.pathname === "/unknown-page") {
    res.writeHead(200, { "content-type": "text/html" }).end(`<p>Nothing to see</p>${"x".repeat(500)}`);
    return;
  }
  res.writeHead(404).end("not found");
}

function proxyAuthorizeUrl(extra: Record<string, string> = {}): string {
  const url = new URL("/authorize", proxy.origin);
  url.search = new URLSearchParams({ redirect_uri: CLIENT_CALLBACK, state: "client-state", ...extra }).toString();
  return url.href;
}

beforeAll(async () => {
  proxy = await serveOnLoopback((req, res) => {
    fakeProxy(req, res).catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
  });
  idp = await startDevIdp({ proxyRedirectUris: [CLIENT_CALLBACK, `${proxy.origin}/callback`] });
});

afterAll(async () => {
  await idp.stop();
  await proxy.stop();
});

describe("authorizeHeadlessly against dev-idp", () => {
  it("signs in with the login name and stops at the redirect URI with a redeemable code", async () => {
    const { url, verifier } = idpAuthorizeUrl(CLIENT_CALLBACK, {
      scope: "openid profile email offline_access",
      prompt: "consent",
    });
    const result = await authorizeHeadlessly({ authorizationUrl: url, redirectUri: CLIENT_CALLBACK, login: "bob" });

    expect(`${result.callback.origin}${result.callback.pathname}`).toBe(CLIENT_CALLBACK);
    expect(result.callback.searchParams.get("state")).toBe("client-state");
    expect(result.callback.searchParams.get("iss")).toBe(idp.issuer);
    expect(result).toMatchObject({ idpLoginsSeen: 1, idpConsentsSeen: 1, consentPagesSeen: 0 });

    // Every hop is recorded: the authorize GET, the form POSTs, and the final redirect.
    expect(result.steps[0]).toMatchObject({ method: "GET", status: 303 });
    expect(result.steps[0]?.url.startsWith(`${idp.authorizationUrl}?`)).toBe(true);
    expect(result.steps.filter((step) => step.method === "POST")).toHaveLength(2);
    const last = result.steps.at(-1);
    expect(last?.location?.startsWith(`${CLIENT_CALLBACK}?code=%5Bredacted%5D`)).toBe(true);
    const code = result.callback.searchParams.get("code");
    expect(JSON.stringify(result.steps)).not.toContain(code);

    const tokens = await redeem(code, CLIENT_CALLBACK, verifier);
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect(idTokenClaims(tokens.id_token)).toMatchObject({
      iss: idp.issuer,
      aud: DEV_PROXY_CLIENT.clientId,
      sub: "bob",
      name: "Bob",
      email: "bob@example.test",
    });
  });

  it("a reused browser keeps the IdP session and consent: no login the second time", async () => {
    const browser = new HeadlessBrowser();
    const first = await authorizeHeadlessly({
      authorizationUrl: idpAuthorizeUrl(CLIENT_CALLBACK).url,
      redirectUri: CLIENT_CALLBACK,
      login: "carol",
      browser,
    });
    expect(first).toMatchObject({ idpLoginsSeen: 1, idpConsentsSeen: 1 });

    const second = await authorizeHeadlessly({
      authorizationUrl: idpAuthorizeUrl(CLIENT_CALLBACK).url,
      redirectUri: CLIENT_CALLBACK,
      browser,
    });
    expect(second).toMatchObject({ idpLoginsSeen: 0, idpConsentsSeen: 0 });
    expect(second.callback.searchParams.get("code")).toEqual(expect.any(String));
    expect(second.steps).toHaveLength(1);

    // A revoked grant asks for consent again, still without a login.
    expect(await idp.revokeUserGrants("carol")).toBe(1);
    const third = await authorizeHeadlessly({
      authorizationUrl: idpAuthorizeUrl(CLIENT_CALLBACK).url,
      redirectUri: CLIENT_CALLBACK,
      browser,
    });
    expect(third).toMatchObject({ idpLoginsSeen: 0, idpConsentsSeen: 1 });

    // Control: a fresh browser has no session.
    const fresh = await authorizeHeadlessly({
      authorizationUrl: idpAuthorizeUrl(CLIENT_CALLBACK).url,
      redirectUri: CLIENT_CALLBACK,
    });
    expect(fresh.idpLoginsSeen).toBe(1);
  });

  it("an IdP error page throws with the URL, the status and the start of the body", async () => {
    const { url } = idpAuthorizeUrl("http://127.0.0.1:9/not-registered");
    const error = await authorizeHeadlessly({ authorizationUrl: url, redirectUri: CLIENT_CALLBACK }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(
      /^authorizeHeadlessly: an unexpected answer at http:\/\/127\.0\.0\.1:\d+\/auth\?client_id=/u,
    );
    expect(message).toContain("(HTTP 400): ");
    expect(message).toContain("redirect_uri");
    expect(message.length).toBeLessThan(url.href.length + 400);
  });
});

describe("authorizeHeadlessly on our consent page", () => {
  it("approves with the scopes the page ticked by default (as a user who just clicks Allow), posting handle, Origin and the cookie", async () => {
    const result = await authorizeHeadlessly({ authorizationUrl: proxyAuthorizeUrl(), redirectUri: CLIENT_CALLBACK });
    expect(result.callback.searchParams.get("code")).toBe("proxy-code");
    expect(result.callback.searchParams.get("state")).toBe("client-state");
    expect(result.callback.searchParams.get("granted")).toBe("notes:read notes:write");
    expect(result).toMatchObject({ consentPagesSeen: 1, idpLoginsSeen: 0, idpConsentsSeen: 0 });
    expect(result.steps.map((step) => [step.method, new URL(step.url).pathname, step.status])).toEqual([
      ["GET", "/authorize", 200],
      ["POST", "/authorize", 302],
    ]);
  });

  it("approves a chosen subset, and sends unoffered scopes as given", async () => {
    const subset = await authorizeHeadlessly({
      authorizationUrl: proxyAuthorizeUrl(),
      redirectUri: CLIENT_CALLBACK,
      consent: { decision: "approve", scopes: ["notes:read"] },
    });
    expect(subset.callback.searchParams.get("granted")).toBe("notes:read");

    const forged = await authorizeHeadlessly({
      authorizationUrl: proxyAuthorizeUrl(),
      redirectUri: CLIENT_CALLBACK,
      consent: { decision: "approve", scopes: ["notes:write", "root"] },
    });
    expect(forged.callback.searchParams.get("granted")).toBe("notes:write root");
  });

  it("denies", async () => {
    const result = await authorizeHeadlessly({
      authorizationUrl: proxyAuthorizeUrl(),
      redirectUri: CLIENT_CALLBACK,
      consent: { decision: "deny" },
    });
    expect(result.callback.searchParams.get("error")).toBe("access_denied");
    expect(result.callback.searchParams.get("code")).toBeNull();
  });

  it("follows our server → dev-idp login → our callback → our consent → the client", async () => {
    const result = await authorizeHeadlessly({
      authorizationUrl: proxyAuthorizeUrl({ upstream: "1" }),
      redirectUri: CLIENT_CALLBACK,
      login: "dana",
    });
    expect(result).toMatchObject({ idpLoginsSeen: 1, idpConsentsSeen: 1, consentPagesSeen: 1 });
    expect(result.callback.searchParams.get("sub")).toBe("dana");
    const hosts = new Set(result.steps.map((step) => new URL(step.url).origin));
    expect(hosts).toEqual(new Set([proxy.origin, idp.issuer]));
    const upstreamCallback = result.steps.find((step) => step.url.startsWith(`${proxy.origin}/callback?`));
    expect(upstreamCallback?.url).toContain("code=%5Bredacted%5D");
  });
});

describe("authorizeHeadlessly refuses what a flow should never do", () => {
  it.each([
    [
      "a redirect loop",
      "/loop",
      /^authorizeHeadlessly: gave up after 5 requests, next was http:\/\/127\.0\.0\.1:\d+\/loop$/u,
    ],
    ["a redirect without Location", "/no-location", /a redirect without Location at .*\/no-location \(HTTP 302\): $/u],
    [
      "a page it does not know",
      "/unknown-page",
      /a page the driver does not know at .*\/unknown-page \(HTTP 200\): <p>Nothing to see<\/p>x+$/u,
    ],
    ["an error status", "/missing", /an unexpected answer at .*\/missing \(HTTP 404\): not found$/u],
  ])("%s", async (_case, path, message) => {
    const error = await authorizeHeadlessly({
      authorizationUrl: new URL(path, proxy.origin),
      redirectUri: CLIENT_CALLBACK,
      maxSteps: 5,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(message);
  });

  it("a consent page without the chosen button throws, and the body start is capped at 300 characters", async () => {
    const noDeny = await serveOnLoopback((_req, res) => {
      res
        .writeHead(200, { "content-type": "text/html" })
        .end(
          `<form method="post" action="/authorize"><input type="hidden" name="handle" value="h"><button name="decision" value="approve">OK</button></form>${"y".repeat(400)}`,
        );
    });
    try {
      const error = await authorizeHeadlessly({
        authorizationUrl: `${noDeny.origin}/authorize`,
        redirectUri: CLIENT_CALLBACK,
        consent: { decision: "deny" },
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as Error).message).toMatch(/^authorizeHeadlessly: the consent page has no "deny" button at /u);
      const body = (error as Error).message.split("(HTTP 200): ")[1] ?? "";
      expect(body.length).toBe(300);
    } finally {
      await noDeny.stop();
    }
  });
});

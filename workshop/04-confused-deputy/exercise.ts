// Exercise 04: the confused deputy. oauth-proxy is one OAuth app at the upstream IdP for every MCP
// client; if it skips its own per-client consent, any client that sends the user to /authorize
// gets the user's grant on the strength of the IdP session alone. Headless Chromium is the victim.
import {
  exchange,
  authorizationUrl,
  freePort,
  launchChromium,
  proxyUpstreamVars,
  register,
  runWrangler,
  startDevIdp,
  startWranglerDev,
  type Browser,
  type Peer,
} from "@mcp-auth/dev-harness";
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { Criterion, Exercise, WorkshopContext } from "../lib/exercise.ts";

const DIR = "workshop/04-confused-deputy";
const CONSENT_FILE = "apps/oauth-proxy/src/authorize.ts";
const ATTACKER_NAME = "Free Notes Summariser";

/** `git` in the repository root; its stdout. */
function git(ctx: WorkshopContext, args: string[]): string {
  return execFileSync("git", args, { cwd: ctx.root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Whether `git apply` (with `args`) would apply the patch cleanly. */
function applies(ctx: WorkshopContext, args: string[]): boolean {
  try {
    git(ctx, ["apply", "--check", ...args, join(DIR, "start.patch")]);
    return true;
  } catch {
    return false;
  }
}

/** What one browser visit of an authorization URL went through. */
interface Visit {
  /** The client's redirect URI as reached (with `code` or `error`), if it was reached. */
  callback?: URL;
  /** Whether oauth-proxy's own consent page (the form carrying `handle`) was shown. */
  ourConsent: boolean;
  /** The client name that page showed, if it did. */
  namedClient: boolean;
  /** The pages the browser landed on, named. */
  hops: string[];
}

/**
 * Opens `url` in the victim's browser and plays the user: signs in at dev-idp, confirms dev-idp's
 * own consent, and on OUR consent page does `onOurConsent` ("approve", "deny", or "look" = stop
 * there). The request to the client's redirect URI is recorded (no server behind it).
 */
async function visit(
  browser: Browser,
  peer: Peer,
  url: URL,
  onOurConsent: "approve" | "deny" | "look",
  clientName: string,
): Promise<Visit> {
  const context = browser.contexts()[0] ?? (await browser.newContext());
  const page = await context.newPage();
  const result: Visit = { ourConsent: false, namedClient: false, hops: [] };
  // Nothing listens at the client's redirect URI: the browser's request to it is the evidence
  // (Chromium does not route a redirect's target through page.route, so it is only recorded).
  page.on("request", (request) => {
    if (request.url().startsWith(peer.redirectUri)) result.callback = new URL(request.url());
  });
  const navigated = async (action: Promise<unknown>) => {
    try {
      // eslint-disable-next-line @typescript-eslint/no-deprecated -- it rejects at once when the redirect URI refuses the connection (the end of a visit); waitForURL would wait for a load that never comes
      await Promise.all([page.waitForNavigation(), action]);
    } catch (error) {
      // Reaching the redirect URI ends the visit with a refused connection: expected.
      if (result.callback === undefined) throw error;
    }
  };
  try {
    await navigated(page.goto(url.href));
    for (let step = 0; step < 8 && result.callback === undefined; step++) {
      if ((await page.locator('input[name="handle"]').count()) > 0) {
        result.ourConsent = true;
        result.hops.push("oauth-proxy's consent page");
        result.namedClient = (await page.content()).includes(clientName);
        if (onOurConsent === "look") break;
        await navigated(page.locator(`button[name="decision"][value="${onOurConsent}"]`).click());
      } else if ((await page.locator('input[name="login"]').count()) > 0) {
        result.hops.push("dev-idp's sign-in");
        await page.locator('input[name="login"]').fill("carol");
        await page.locator('input[name="password"]').fill("dev-only-password");
        await navigated(page.locator('button[type="submit"]').first().click());
      } else if ((await page.locator('input[name="prompt"][value="consent"]').count()) > 0) {
        result.hops.push("dev-idp's own consent (it names oauth-proxy, never the MCP client)");
        await navigated(page.locator('button[type="submit"]').first().click());
      } else {
        result.hops.push(`an unexpected page at ${new URL(page.url()).pathname}`);
        break;
      }
    }
  } finally {
    await page.close();
  }
  return result;
}

function describeHops(hops: string[]): string {
  return hops.length === 0 ? "no page at all" : hops.join(" → ");
}

async function check(ctx: WorkshopContext): Promise<Criterion[]> {
  const criteria: Criterion[] = [];
  const stateDir = join(ctx.stateDir, "oauth-proxy");
  rmSync(stateDir, { recursive: true, force: true });
  // A file that does not build keeps `wrangler dev` waiting for a fix instead of exiting: bundle
  // it first (a few seconds), so a mistake is a failed criterion with esbuild's message at once.
  ctx.say("bundling oauth-proxy with your change…");
  const app = join(ctx.root, "apps", "oauth-proxy");
  const build = await runWrangler(app, ["deploy", "--dry-run", "--outdir", join(ctx.stateDir, "build")]);
  if (build.code !== 0) {
    return [
      {
        name: "oauth-proxy builds",
        ok: false,
        detail: `wrangler cannot bundle it (look at ${CONSENT_FILE}): ${build.tail
          .trim()
          .split("\n")
          .filter((line) => !line.includes("Logs were written"))
          .slice(-5)
          .join(" / ")}`,
      },
    ];
  }
  const proxyPort = await freePort();
  const origin = `http://localhost:${String(proxyPort)}`;
  ctx.say("starting dev-idp and oauth-proxy (wrangler dev, state in workshop/.state/04)…");
  const idp = await startDevIdp({ port: 0, proxyRedirectUris: [`${origin}/callback`] });
  let browser: Browser | undefined;
  try {
    let proxy;
    try {
      proxy = await startWranglerDev({
        cwd: app,
        vars: proxyUpstreamVars(origin, idp),
        port: proxyPort,
        stateDir,
        startTimeoutMs: 240_000,
      });
    } catch (error) {
      return [
        {
          name: "oauth-proxy starts",
          ok: false,
          detail: `wrangler dev did not start it: ${String(error)}`,
        },
      ];
    }
    try {
      browser = await launchChromium();
      await browser.newContext();

      ctx.say("the victim (carol) signs in through client A, the app she trusts…");
      const appA = await register(origin, { client_name: "Carol's notes app" });
      const a = await authorizationUrl(appA);
      const first = await visit(browser, appA, a.url, "approve", "Carol's notes app");
      const codeA = first.callback?.searchParams.get("code");
      criteria.push({
        name: "the victim approves client A",
        ok: typeof codeA === "string" && codeA !== "",
        detail:
          typeof codeA === "string" && codeA !== ""
            ? `client A got a code after: ${describeHops(first.hops)}`
            : `client A got no code (pages: ${describeHops(first.hops)}; answer: ${first.callback?.search ?? "none"}) — is the sign-in flow broken?`,
      });

      ctx.say(`the attacker registers client B ("${ATTACKER_NAME}", its own redirect URI) and sends carol its link…`);
      const appB = await register(origin, { client_name: ATTACKER_NAME });
      const b = await authorizationUrl(appB, { scope: "notes:read notes:write" });
      const second = await visit(browser, appB, b.url, "look", ATTACKER_NAME);
      const codeB = second.callback?.searchParams.get("code");
      if (typeof codeB === "string" && codeB !== "") {
        let grant = "";
        try {
          const tokens = await exchange(appB, second.callback ?? new URL(origin), b.state, b.codeVerifier);
          grant = ` and redeemed it for carol's tokens (scope "${tokens.scope}")`;
        } catch {
          grant = "";
        }
        criteria.push({
          name: "client B is asked for consent",
          ok: false,
          detail: `client B got a code without a consent page naming it${grant}: the browser went ${describeHops(second.hops)} → B's redirect URI. Look at GET /authorize in ${CONSENT_FILE}.`,
        });
      } else {
        criteria.push({
          name: "client B is asked for consent",
          ok: second.ourConsent && second.namedClient,
          detail: second.ourConsent
            ? second.namedClient
              ? `oauth-proxy's consent page named "${ATTACKER_NAME}" before any request to dev-idp (${describeHops(second.hops)}), and no code was sent`
              : `a consent page was shown but it does not name the client ("${ATTACKER_NAME}"): the user cannot tell who asks`
            : `no consent page and no code: the browser stopped at ${describeHops(second.hops)} (answer: ${second.callback?.search ?? "none"})`,
        });
      }

      ctx.say("carol says Deny to client B…");
      const appB2 = await register(origin, { client_name: ATTACKER_NAME });
      const b2 = await authorizationUrl(appB2);
      const denied = await visit(browser, appB2, b2.url, "deny", ATTACKER_NAME);
      const error = denied.callback?.searchParams.get("error");
      const leaked = denied.callback?.searchParams.get("code");
      criteria.push({
        name: "Deny gives client B nothing",
        ok: denied.ourConsent && error === "access_denied" && (leaked === null || leaked === undefined),
        detail:
          typeof leaked === "string"
            ? `client B got a code although the user had no chance to say Deny (${describeHops(denied.hops)})`
            : error === "access_denied"
              ? "client B got error=access_denied and no code"
              : `expected error=access_denied at B's redirect URI, got ${denied.callback?.search ?? "no answer"}`,
      });
    } finally {
      await browser?.close();
      await proxy.stop();
    }
  } finally {
    await idp.stop();
  }
  return criteria;
}

const exercise: Exercise = {
  id: "04",
  slug: "confused-deputy",
  title: "The confused deputy: consent per client in oauth-proxy",
  minutes: 25,
  files: [CONSENT_FILE],
  // The prepared bug: GET /authorize goes straight to the IdP. Applied only if not already there.
  start(ctx) {
    if (!applies(ctx, ["-R"])) git(ctx, ["apply", join(DIR, "start.patch")]);
    return Promise.resolve();
  },
  check,
  // The reference solution is the app as committed: consent asked before the upstream redirect.
  solve(ctx) {
    if (applies(ctx, ["-R"])) git(ctx, ["apply", "-R", join(DIR, "start.patch")]);
    else git(ctx, ["checkout", "HEAD", "--", CONSENT_FILE]);
    return Promise.resolve();
  },
  showSolution(ctx) {
    const reversed = git(ctx, ["apply", "--stat", "-R", join(DIR, "start.patch")]);
    return Promise.resolve(
      [
        `Put the consent page back in front of the upstream redirect (${CONSENT_FILE}, showConsent):`,
        "",
        "  const authRequest = await readAuthorizeRequest(request, context.oauth);",
        "  if (authRequest instanceof Response) return authRequest;",
        "  return askConsent(context.oauth, authRequest, context.consent, {",
        "    next: `After Allow you sign in at ${context.upstreamName}; …`,",
        "    formTargets: [await context.upstream.authorizationOrigin()],",
        "  });",
        "",
        "POST /authorize (decide) already goes upstream only after approveConsent().",
        `\`workshop solve 04\` reverses ${DIR}/start.patch:`,
        reversed,
      ].join("\n"),
    );
  },
  expectedStartFailure: "client B got a code without a consent page",
};

export default exercise;

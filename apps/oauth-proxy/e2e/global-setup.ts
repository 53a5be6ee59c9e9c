import { startDevIdp } from "@mcp-auth/dev-idp";
import { freePort, proxyUpstreamVars, serveOnLoopback, startWranglerDev } from "@mcp-auth/dev-harness";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** The app's PUBLIC_ORIGIN (`http://localhost:<port>`): issuer, resource and audience. */
    origin: string;
    /** The same server on a loopback alias its tokens are not for. */
    aliasOrigin: string;
    devIdp: { issuer: string; controlUrl: string };
    /** GET answers the Worker's last log lines (what an operator would see in `wrangler tail`). */
    logTapUrl: string;
    /** The running server's `--persist-to` state, for the operator CLI (scripts/proxy-grants.ts). */
    stateDir: string;
  }
}

/**
 * Upstream access tokens live an hour, as at most providers: a revocation at the IdP must still
 * be seen at our next refresh, not when the upstream token nears expiry.
 */
export const UPSTREAM_TOKEN_TTL_SECONDS = 3600;

/**
 * Starts, once for the whole run: dev-idp (the real upstream OIDC provider, with the proxy's
 * confidential client) and the oauth-proxy Worker under `wrangler dev` with fresh local KV.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const port = await freePort();
  const origin = `http://localhost:${port}`;
  const devIdp = await startDevIdp({
    port: 0,
    proxyRedirectUris: [`${origin}/callback`],
    accessTokenTtlSeconds: UPSTREAM_TOKEN_TTL_SECONDS,
    // Every upstream refresh rotates, and a reused refresh token revokes the upstream grant:
    // two upstream refreshes of one grant side by side would end it.
    rotateRefreshTokens: true,
    control: true,
  });
  try {
    const dev = await startWranglerDev({
      cwd: join(import.meta.dirname, ".."),
      port,
      vars: proxyUpstreamVars(origin, devIdp),
    });
    const logTap = await serveOnLoopback((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end(dev.output());
    });
    project.provide("logTapUrl", logTap.origin);
    project.provide("origin", origin);
    project.provide("aliasOrigin", dev.origin);
    project.provide("stateDir", dev.stateDir);
    project.provide("devIdp", { issuer: devIdp.issuer, controlUrl: devIdp.controlUrl ?? "" });
    return async () => {
      // E2E_SHOW_WORKER_OUTPUT=1 prints the Worker's last log lines (its refusals, any stack trace).
      if (process.env["E2E_SHOW_WORKER_OUTPUT"] === "1") console.log(dev.output());
      await logTap.stop();
      await dev.stop();
      await devIdp.stop();
    };
  } catch (error) {
    await devIdp.stop();
    throw error;
  }
}

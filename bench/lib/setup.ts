// What a target's server needs before `wrangler dev` starts: values known only at run time (a
// port its public origin names, an upstream IdP's issuer) and peers that must run beside it.
import { DEV_PROXY_CLIENT, freePort, startDevIdp } from "@mcp-auth/dev-harness";

/** What a row's `setup()` started and what its server is started with. */
export interface ServerSetup {
  /** `--var NAME:VALUE` overrides, on top of the row's own `vars`. */
  vars?: Record<string, string>;
  /** The port `wrangler dev` listens on (on 127.0.0.1); a free one when omitted. */
  port?: number;
  /**
   * The origin requests are sent to, when the Worker answers only on the name it was configured
   * with (its `PUBLIC_ORIGIN`); `http://127.0.0.1:<port>` when omitted.
   */
  origin?: string;
  /** Stops what `setup()` started; called once at the end of the run, also on errors and Ctrl-C. */
  stop(): Promise<void>;
}

/**
 * For `apps/oauth-proxy` signing people in at dev-idp: picks a free port, so that the public
 * origin `http://localhost:<port>` is known first, starts dev-idp (in this process) with that
 * origin's `/callback` as the proxy client's redirect URI, and returns the vars that point the
 * Worker at it. A token the Worker mints is for exactly that origin (issuer and audience), so
 * every request of the target goes there, never to 127.0.0.1.
 */
export function devIdpUpstream(): () => Promise<ServerSetup> {
  return async () => {
    const port = await freePort();
    const origin = `http://localhost:${port}`;
    const idp = await startDevIdp({ port: 0, proxyRedirectUris: [`${origin}/callback`] });
    return {
      port,
      origin,
      vars: {
        PUBLIC_ORIGIN: origin,
        UPSTREAM: "oidc",
        UPSTREAM_ISSUER: idp.issuer,
        UPSTREAM_CLIENT_ID: DEV_PROXY_CLIENT.clientId,
        // dev-idp's published dev-only secret (never a deployed one), as the e2e suite passes it.
        UPSTREAM_CLIENT_SECRET: DEV_PROXY_CLIENT.clientSecret,
        ALLOW_INSECURE_HTTP_LOOPBACK: "true",
      },
      stop: () => idp.stop(),
    };
  };
}

/**
 * For `apps/full-oauth-provider`: picks a free port so that the public origin
 * `http://localhost:<port>` is known first, and passes bench-only secrets (never deployed ones).
 */
export function ownIdentityProvider(pepper: string): () => Promise<ServerSetup> {
  return async () => {
    const port = await freePort();
    const origin = `http://localhost:${port}`;
    return {
      port,
      origin,
      vars: {
        PUBLIC_ORIGIN: origin,
        PASSWORD_PEPPER: pepper,
        PASSWORD_PEPPER_PREVIOUS: "",
        SESSION_SECRET: "bench-only-session-secret-never-deployed-0123456789",
        ALLOW_INSECURE_HTTP_LOOPBACK: "true",
      },
      stop: () => Promise.resolve(),
    };
  };
}

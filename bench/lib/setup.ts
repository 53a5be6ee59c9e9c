// What a target's server needs before `wrangler dev` starts: values known only at run time (a
// port its public origin names, an upstream IdP's issuer) and peers that must run beside it.
import {
  freePort,
  runToCompletion,
  startDevIdp,
  startWranglerDev,
  wranglerEnv,
  proxyUpstreamVars,
} from "@mcp-auth/dev-harness";
import { join } from "node:path";

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
      vars: proxyUpstreamVars(origin, idp),
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
    return { port, origin, vars: ownIdentityVars(origin, pepper), stop: () => Promise.resolve() };
  };
}

/** full-oauth-provider's vars on `origin`, with bench-only secrets (never deployed ones). */
function ownIdentityVars(origin: string, pepper: string): Record<string, string> {
  return {
    PUBLIC_ORIGIN: origin,
    PASSWORD_PEPPER: pepper,
    PASSWORD_PEPPER_PREVIOUS: "",
    SESSION_SECRET: "bench-only-session-secret-never-deployed-0123456789",
    ALLOW_INSECURE_HTTP_LOOPBACK: "true",
  };
}

/** What {@link introspectingAuthorizationServer} gives a row: its setup and the account to sign in. */
export interface IntrospectionSetup {
  setup: () => Promise<ServerSetup>;
  /** The account the setup added at full-oauth-provider (known once `setup` ran). */
  account: () => { login: string; password: string };
}

/**
 * For `apps/token-validation` with `AUTH_METHODS=introspection` against `apps/full-oauth-provider`
 * (the composition of token-validation's README): picks free ports for both, starts
 * full-oauth-provider with token-validation's `/mcp` in `EXTRA_RESOURCES`, adds one user and
 * registers token-validation as a resource server with the app's own CLI, and returns the vars
 * that point token-validation at `/introspect` (its answers cached `cacheSeconds`). The token
 * comes from the flow a client runs from token-validation's 401, through full-oauth-provider.
 */
export function introspectingAuthorizationServer(pepper: string, cacheSeconds: number): IntrospectionSetup {
  let account: { login: string; password: string } | undefined;
  const setup = async (): Promise<ServerSetup> => {
    const [asPort, rsPort] = [await freePort(), await freePort()];
    const asOrigin = `http://localhost:${asPort}`;
    const origin = `http://localhost:${rsPort}`;
    const resource = `${origin}/mcp`;
    const dir = join(import.meta.dirname, "..", "..", "apps", "full-oauth-provider");
    const as = await startWranglerDev({
      cwd: dir,
      port: asPort,
      prepare: [["d1", "migrations", "apply", "DB", "--local"]],
      vars: {
        ...ownIdentityVars(asOrigin, pepper),
        EXTRA_RESOURCES: JSON.stringify({ [resource]: ["notes:read", "notes:write"] }),
      },
    });
    try {
      const cli = async (args: string[]) => {
        const result = await runToCompletion(
          process.execPath,
          [join(dir, "scripts", "users.ts"), ...args, "--json", "--persist-to", as.stateDir],
          { cwd: dir, env: wranglerEnv({ PASSWORD_PEPPER: pepper }) },
        );
        if (result.code !== 0)
          throw new Error(`users ${args[0] ?? ""} failed (code ${String(result.code)}).\n${result.tail}`);
        return JSON.parse(result.stdout) as Record<string, unknown>;
      };
      const login = "bench-introspection@example.com";
      const added = await cli(["add", "--email", login, "--name", "Bench"]);
      account = { login, password: String(added["password"]) };
      const server = await cli(["resource-servers", "add", "--name", "bench token-validation", "--resource", resource]);
      return {
        port: rsPort,
        origin,
        vars: {
          AUTH_METHODS: "introspection",
          AUTHORIZATION_SERVERS: asOrigin,
          INTROSPECTION_URL: `${asOrigin}/introspect`,
          INTROSPECTION_CLIENT_ID: String(server["id"]),
          INTROSPECTION_CLIENT_SECRET: String(server["secret"]),
          INTROSPECTION_AUDIENCE: resource,
          INTROSPECTION_ISSUER: asOrigin,
          INTROSPECTION_CACHE_SECONDS: String(cacheSeconds),
          ALLOW_INSECURE_HTTP_LOOPBACK: "true",
        },
        stop: () => as.stop(),
      };
    } catch (error) {
      await as.stop();
      throw error;
    }
  };
  return {
    setup,
    account: () => {
      if (account === undefined) throw new Error("the introspection setup has not run");
      return account;
    },
  };
}

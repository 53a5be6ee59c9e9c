import { hashPassword, pepperFromSecret } from "@mcp-auth/auth-common/accounts";
import { DISCOVERY_LOGINS, TOKEN_ENDPOINT_LOGINS } from "@mcp-auth/auth-common/testing/node";
import {
  TOKEN_EXCHANGE_GRANT,
  freePort,
  selfSignedCertificate,
  serveOnLoopback,
  startDevIdp,
  startWranglerDev,
  withD1Binding,
  type DevClient,
} from "@mcp-auth/dev-harness";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { addUser, type UserDatabase } from "../src/users.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** The app's PUBLIC_ORIGIN (`http://localhost:<port>`): issuer, resource and audience. */
    origin: string;
    /** The same server on a loopback alias its tokens are not for. */
    aliasOrigin: string;
    /** The `--persist-to` directory of the running server, for the admin CLI. */
    stateDir: string;
    /** The pepper the server hashes with, for the admin CLI. */
    pepper: string;
    /** Accounts created for the run: email → password. */
    accounts: Record<string, string>;
    /** GET answers the Worker's last log lines (what an operator would see in `wrangler tail`). */
    logTapUrl: string;
    /** The enterprise IdP the server trusts: dev-idp over HTTPS with a certificate made for the run. */
    enterprise: EnterpriseSetup;
  }
}

/** What enterprise.e2e.test.ts needs of the enterprise IdP (dev-idp) and this server. */
export interface EnterpriseSetup {
  /** dev-idp's issuer, `https://127.0.0.1:<port>`. */
  issuer: string;
  /** The PEM certificate dev-idp serves: trust it to call dev-idp. */
  certificate: string;
  /** The MCP client at dev-idp (it signs people in there and exchanges their ID tokens). */
  agent: { clientId: string; clientSecret: string; redirectUri: string };
  /** The same client at this server (a confidential client registered there), as the ID-JAG names it. */
  client: { clientId: string; clientSecret: string };
  /** The dev-idp login whose email has an account here. */
  login: string;
}

/** The dev-idp login with an account here (dev-idp's email for it: `enterprise-user@example.test`). */
const ENTERPRISE_LOGIN = "enterprise-user";
const ENTERPRISE_AGENT = {
  clientId: "mcp-enterprise-agent",
  clientSecret: "e2e-only-mcp-enterprise-agent-secret",
  redirectUri: "http://127.0.0.1:43219/callback",
};

export const APP_DIR = join(import.meta.dirname, "..");
const PEPPER = "e2e-only-password-pepper-0123456789abcdef";
/**
 * One account per client role (sign-ins are limited per account, 10 a minute), and one per login
 * of the shared token-endpoint suite (an authorization revokes the same user's earlier grants for
 * the same client).
 */
const ACCOUNTS = [
  "sdk-v1",
  "sdk-v2",
  "stepper",
  "contract-writer",
  "contract-reader",
  "browser",
  "passkey-attacks",
  "transport-suite",
  "strict-peer",
  "conformance",
  "cli-introspect",
  ...TOKEN_ENDPOINT_LOGINS,
  ...DISCOVERY_LOGINS,
];

/** The admin CLI against the running server's state, as an operator runs it. */
export function usersCli(
  stateDir: string,
  pepper: string,
  args: string[],
  input = "",
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [join(APP_DIR, "scripts", "users.ts"), ...args, "--persist-to", stateDir], {
    cwd: APP_DIR,
    env: { ...process.env, PASSWORD_PEPPER: pepper },
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stdin.end(input);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => {
      resolve({ code, output });
    });
  });
}

/** Starts the app under `wrangler dev` once for the whole run, with fresh local D1, KV and DOs. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const port = await freePort();
  const origin = `http://localhost:${port}`;
  const stateDir = mkdtempSync(join(tmpdir(), "full-oauth-provider-e2e-"));
  // The enterprise IdP: the library trusts only https issuers, so dev-idp serves HTTPS with a
  // certificate made now, which wrangler's workerd trusts through NODE_EXTRA_CA_CERTS. It starts
  // once this server is up: it must know the client id this server gave the agent.
  const tls = await selfSignedCertificate();
  const certificateFile = join(stateDir, "enterprise-idp-cert.pem");
  writeFileSync(certificateFile, tls.cert);
  const idpPort = await freePort();
  const idpIssuer = `https://127.0.0.1:${idpPort}`;
  const dev = await startWranglerDev({
    cwd: APP_DIR,
    port,
    stateDir,
    prepare: [["d1", "migrations", "apply", "DB", "--local"]],
    vars: {
      PUBLIC_ORIGIN: origin,
      PASSWORD_PEPPER: PEPPER,
      PASSWORD_PEPPER_PREVIOUS: "",
      SESSION_SECRET: "e2e-only-session-secret-0123456789abcdefgh",
      ALLOW_INSECURE_HTTP_LOOPBACK: "true",
      ENTERPRISE_IDP_ISSUER: idpIssuer,
      ENTERPRISE_IDP_JWKS_URL: `${idpIssuer}/jwks`,
      ENTERPRISE_IDP_ALGORITHMS: "RS256",
    },
    env: { NODE_EXTRA_CA_CERTS: certificateFile },
  });
  let idp: Awaited<ReturnType<typeof startDevIdp>> | undefined;
  try {
    // The accounts go straight into the running server's D1 through one binding proxy, with the
    // Worker's own users.ts (the CLI is tested on its own, in cli.e2e.test.ts).
    const accounts: Record<string, string> = {};
    const pepper = await pepperFromSecret(PEPPER);
    const target = { appDir: APP_DIR, binding: "DB", remote: false, persistTo: stateDir };
    await withD1Binding<UserDatabase, undefined>(target, async (db) => {
      for (const name of ACCOUNTS) {
        const email = `${name}@example.com`;
        const password = `e2e password for ${name}`;
        const passwordHash = await hashPassword(password, { current: pepper });
        await addUser(db, { email, displayName: name, passwordHash });
        accounts[email] = password;
      }
      // No password: this account signs in only through its enterprise IdP.
      await addUser(db, {
        email: `${ENTERPRISE_LOGIN}@example.test`,
        displayName: "Enterprise User",
        passwordHash: null,
      });
      return undefined;
    });
    const registered = await fetch(`${origin}/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        client_name: "enterprise agent",
        redirect_uris: [ENTERPRISE_AGENT.redirectUri],
        token_endpoint_auth_method: "client_secret_basic",
      }),
    });
    if (registered.status !== 201) throw new Error(`registering the enterprise agent: HTTP ${registered.status}`);
    const client = (await registered.json()) as { client_id: string; client_secret: string };
    const agent: DevClient = {
      clientId: ENTERPRISE_AGENT.clientId,
      clientSecret: ENTERPRISE_AGENT.clientSecret,
      grantTypes: ["authorization_code", TOKEN_EXCHANGE_GRANT],
      redirectUris: [ENTERPRISE_AGENT.redirectUri],
      scope: "openid profile email",
      idJagClientIds: { [origin]: client.client_id },
    };
    idp = await startDevIdp({ port: idpPort, tls, clients: [agent] });
    const logTap = await serveOnLoopback((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end(dev.output());
    });
    project.provide("origin", origin);
    project.provide("aliasOrigin", dev.origin);
    project.provide("stateDir", stateDir);
    project.provide("pepper", PEPPER);
    project.provide("accounts", accounts);
    project.provide("logTapUrl", logTap.origin);
    project.provide("enterprise", {
      issuer: idp.issuer,
      certificate: tls.cert,
      agent: ENTERPRISE_AGENT,
      client: { clientId: client.client_id, clientSecret: client.client_secret },
      login: ENTERPRISE_LOGIN,
    });
    return async () => {
      if (process.env["E2E_SHOW_WORKER_OUTPUT"] === "1") console.log(dev.output());
      await logTap.stop();
      await idp?.stop();
      await dev.stop();
      rmSync(stateDir, { recursive: true, force: true });
    };
  } catch (error) {
    await idp?.stop();
    await dev.stop();
    rmSync(stateDir, { recursive: true, force: true });
    throw error;
  }
}

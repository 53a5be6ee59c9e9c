import { startDevIdp, type DevIdp } from "@mcp-auth/dev-idp";
import { freePort, serveOnLoopback, startWranglerDev, type WranglerDev } from "@mcp-auth/dev-harness";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import {
  ACCESS_AUD,
  AUDIENCE,
  HS256_ISSUER,
  JWT_SECRET,
  OPAQUE_RESOURCE,
  OTHER_OPAQUE_RESOURCE,
  OTHER_RESOURCE,
} from "./constants.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** api_key,jwt (HS256) — the default deployment. */
    keys: { origin: string; stateDir: string };
    /** jwt (JWKS from dev-idp), access, introspection (dev-idp), with protected-resource metadata. */
    idp: { origin: string };
    /** AUTH_MODE=optional, api_key,introspection with the introspection endpoint down. */
    optional: { origin: string; stateDir: string };
    devIdp: { issuer: string; tokenUrl: string; revocationUrl: string };
    access: { origin: string; privateJwk: JWK };
  }
}

/** A stand-in for `<team>.cloudflareaccess.com`: serves only `/cdn-cgi/access/certs`. */
async function startAccessCerts(): Promise<{ origin: string; privateJwk: JWK; stop: () => Promise<void> }> {
  const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
  const kid = "e2e-access-key-1";
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" };
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: "RS256" };
  const server = await serveOnLoopback((req, res) => {
    if (req.method === "GET" && req.url === "/cdn-cgi/access/certs") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [publicJwk] }));
    } else {
      res.writeHead(404).end();
    }
  });
  return { origin: server.origin, privateJwk, stop: server.stop };
}

/**
 * Starts, once for the whole run: dev-idp (a real OAuth AS), a fake Access certs endpoint, and
 * three `wrangler dev` instances of the app, each with fresh local state and migrated D1.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cwd = join(import.meta.dirname, "..");
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    await Promise.allSettled(stops.reverse().map((stop) => stop()));
  };
  try {
    const [devIdp, access]: [DevIdp, Awaited<ReturnType<typeof startAccessCerts>>] = await Promise.all([
      startDevIdp({
        port: 0,
        resources: [
          { indicator: AUDIENCE, scope: "notes:read notes:write", format: "jwt" },
          { indicator: OPAQUE_RESOURCE, scope: "notes:read notes:write", format: "opaque", audience: AUDIENCE },
          { indicator: OTHER_RESOURCE, scope: "notes:read notes:write", format: "jwt" },
          {
            indicator: OTHER_OPAQUE_RESOURCE,
            scope: "notes:read notes:write",
            format: "opaque",
            audience: OTHER_RESOURCE,
          },
        ],
      }),
      startAccessCerts(),
    ]);
    stops.push(() => devIdp.stop(), access.stop);
    // Nothing listens here: the introspection endpoint of the "optional" instance is down.
    const closedPort = await freePort();
    const migrate = [["d1", "migrations", "apply", "KEYS_DB", "--local"]];
    const started = await Promise.allSettled([
      startWranglerDev({
        cwd,
        prepare: migrate,
        vars: {
          AUTH_METHODS: "api_key,jwt",
          JWT_SECRET,
          JWT_ISSUER: HS256_ISSUER,
          JWT_AUDIENCE: AUDIENCE,
        },
      }),
      startWranglerDev({
        cwd,
        vars: {
          AUTH_METHODS: "jwt,access,introspection",
          // Empty is "unset" (config.ts): exactly one of JWT_SECRET / JWT_JWKS_URL, even if a
          // developer's .dev.vars sets a secret.
          JWT_SECRET: "",
          JWT_ISSUER: devIdp.issuer,
          JWT_AUDIENCE: AUDIENCE,
          JWT_JWKS_URL: devIdp.jwksUrl,
          JWT_ALGORITHMS: "RS256",
          ACCESS_TEAM_DOMAIN: access.origin,
          ACCESS_AUD,
          INTROSPECTION_URL: devIdp.introspectionUrl,
          INTROSPECTION_CLIENT_ID: "mcp-resource-server",
          INTROSPECTION_CLIENT_SECRET: "dev-only-mcp-resource-server-secret",
          INTROSPECTION_AUDIENCE: AUDIENCE,
          AUTHORIZATION_SERVERS: devIdp.issuer,
          // dev-idp, the Access certs fake and introspection are plain http on 127.0.0.1.
          ALLOW_INSECURE_HTTP_LOOPBACK: "true",
        },
      }),
      startWranglerDev({
        cwd,
        prepare: migrate,
        vars: {
          AUTH_METHODS: "api_key,introspection",
          AUTH_MODE: "optional",
          ANONYMOUS_SCOPES: "notes:read",
          JWT_SECRET: "",
          JWT_AUDIENCE: AUDIENCE,
          INTROSPECTION_URL: `http://127.0.0.1:${closedPort}/token/introspection`,
          INTROSPECTION_CLIENT_ID: "mcp-resource-server",
          INTROSPECTION_CLIENT_SECRET: "dev-only-mcp-resource-server-secret",
          INTROSPECTION_AUDIENCE: AUDIENCE,
          ALLOW_INSECURE_HTTP_LOOPBACK: "true",
        },
      }),
    ]);
    const running: WranglerDev[] = [];
    for (const result of started) {
      if (result.status === "fulfilled") {
        const dev = result.value;
        running.push(dev);
        stops.push(() => dev.stop());
      }
    }
    // Every instance that failed says why (its reason and wrangler's output tail), not just the first.
    const failures = started.flatMap((result) => (result.status === "rejected" ? [result.reason as Error] : []));
    const [first, ...more] = failures;
    if (first !== undefined && more.length === 0) throw first;
    if (first !== undefined) {
      throw new AggregateError(failures, failures.map((failure) => failure.message).join("\n\n"));
    }
    const [keys, idp, optional] = running as [WranglerDev, WranglerDev, WranglerDev];
    project.provide("keys", { origin: keys.origin, stateDir: keys.stateDir });
    project.provide("idp", { origin: idp.origin });
    project.provide("optional", { origin: optional.origin, stateDir: optional.stateDir });
    project.provide("devIdp", {
      issuer: devIdp.issuer,
      tokenUrl: devIdp.tokenUrl,
      revocationUrl: devIdp.revocationUrl,
    });
    project.provide("access", { origin: access.origin, privateJwk: access.privateJwk });
  } catch (error) {
    await stopAll();
    throw error;
  }
  return stopAll;
}

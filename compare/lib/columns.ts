// The matrix's columns and, for each, how its callers are made and what its operator can do: the
// only place that knows an app's credentials. Scenarios ask a column's kit; they never name an app.
import { SignJWT } from "jose";
import { DEV_TEST_CLIENT, type ClientCredentials } from "@mcp-auth/dev-idp";
import { runFlow, type FlowResult } from "../../bench/lib/oauth.ts";
import type { Column } from "./results.ts";
import {
  HS256,
  OPAQUE_RESOURCE,
  OTHER_OPAQUE_RESOURCE,
  OTHER_RESOURCE,
  SECOND_CLIENT,
  TV_RESOURCE,
  appCli,
  type Server,
  type ServerName,
  type Stack,
} from "./stack.ts";

export const COLUMNS: readonly (Column & { server: ServerName })[] = [
  {
    id: "no-auth",
    label: "no-auth",
    dir: "apps/no-auth",
    server: "no-auth",
    note: "anonymous; Origin/Host checks and rate limits",
  },
  {
    id: "tv-api-key",
    label: "token-validation · API key",
    dir: "apps/token-validation",
    server: "tv-keys",
    note: "an API key from the key CLI",
  },
  {
    id: "tv-jwt",
    label: "token-validation · JWT HS256",
    dir: "apps/token-validation",
    server: "tv-keys",
    note: "a JWT signed with a shared secret",
  },
  {
    id: "tv-jwks",
    label: "token-validation · JWT (dev-idp JWKS)",
    dir: "apps/token-validation",
    server: "tv-idp",
    note: "a JWT from dev-idp, checked against its JWKS",
  },
  {
    id: "tv-introspection",
    label: "token-validation · introspection",
    dir: "apps/token-validation",
    server: "tv-idp",
    note: "an opaque dev-idp token, checked by RFC 7662",
  },
  {
    id: "oauth-proxy",
    label: "oauth-proxy",
    dir: "apps/oauth-proxy",
    server: "oauth-proxy",
    note: "OAuth 2.1 here, people signed in at dev-idp",
  },
  {
    id: "full-oauth-provider",
    label: "full-oauth-provider",
    dir: "apps/full-oauth-provider",
    server: "full-oauth-provider",
    note: "OAuth 2.1 here, people with accounts here",
  },
  {
    id: "mcp-agent",
    label: "McpAgent (the seeds' shape)",
    dir: "bench/mcp-agent",
    server: "mcp-agent",
    note: "agents' McpAgent + a Durable Object, no auth",
  },
];

/** A caller: the `Authorization` header it sends, if any; an McpAgent client is its session. */
export interface Caller {
  authorization?: string;
  /** Which MCP session the caller holds (McpAgent serves sessions only: one per client). */
  session?: string;
}

/** What a column's operator can do to a caller's credential, and how it is done. */
export interface Revoker {
  action: string;
  revoke(): Promise<void>;
  /** The credential being revoked. */
  caller: Caller;
  /** After the revocation: what a refresh of the same grant answers (OAuth columns). */
  refreshAfter?: () => Promise<string>;
}

/** One refresh at the flow's token endpoint with `token`: the status and the answer's body. */
export async function refreshGrant(
  flow: FlowResult,
  token: string,
): Promise<{ status: number; body: { refresh_token?: string; error?: string } }> {
  const answer = await fetch(flow.tokenEndpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: token, client_id: flow.clientId }),
  });
  return { status: answer.status, body: (await answer.json()) as { refresh_token?: string; error?: string } };
}

/** A refresh with the flow's refresh token: "HTTP 400 invalid_grant", or "HTTP 200". */
async function refreshOutcome(flow: FlowResult): Promise<string> {
  if (flow.refreshToken === undefined) return "no refresh token";
  const { status, body } = await refreshGrant(flow, flow.refreshToken);
  return `HTTP ${status}${body.error === undefined ? "" : ` ${body.error}`}`;
}

/** Everything a scenario may ask of one column. */
export interface Kit {
  column: Column;
  server: Server;
  /** How a caller proves itself here: none, a header, or an OAuth flow. */
  kind: "open" | "header" | "oauth";
  /** Two callers that are different people (or, for an open server, the only one there is). */
  callers(): Promise<[Caller, Caller]>;
  /** A caller holding `notes:read` only, or why there is none. */
  readOnly(): Promise<Caller | string>;
  /** A credential past its expiry, or why none can be made here. */
  expired(): Promise<Caller | string>;
  /** A valid credential for another audience (resource), or why none exists here. */
  otherAudience(): Promise<Caller | string>;
  /** A fresh credential the operator can revoke, or why there is none. */
  revoker(): Promise<Revoker | string>;
  /** The OAuth flow of the first caller (OAuth columns). */
  flow?: () => Promise<FlowResult>;
  /** A new OAuth flow of its own, for a scenario that ends its grant (a replay). */
  freshFlow?: () => Promise<FlowResult>;
  /** The `Authorization` header of each load request (the first caller's, unless the column says otherwise). */
  load(): Promise<() => string | undefined>;
}

const bearer = (token: string): Caller => ({ authorization: `Bearer ${token}` });

async function hs256(claims: { sub: string; scope: string; aud?: string; expiresIn?: string | number }) {
  const token = await new SignJWT({ scope: claims.scope })
    .setProtectedHeader({ alg: "HS256", typ: "at+jwt" })
    .setSubject(claims.sub)
    .setIssuer(HS256.issuer)
    .setAudience(claims.aud ?? HS256.audience)
    .setIssuedAt(typeof claims.expiresIn === "number" ? claims.expiresIn - 60 : undefined)
    .setExpirationTime(claims.expiresIn ?? "1h")
    .sign(new TextEncoder().encode(HS256.secret));
  return bearer(token);
}

/** Memoizes an async value. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => (value ??= make());
}

/** The kit of `column` on `stack`. */
export function kitOf(column: Column & { server: ServerName }, stack: Stack): Kit {
  const kit = baseKit(column, stack);
  return {
    ...kit,
    load:
      kit.load ??
      (async () => {
        const [caller] = await kit.callers();
        return () => caller.authorization;
      }),
  };
}

function baseKit(
  column: Column & { server: ServerName },
  stack: Stack,
): Omit<Kit, "load"> & Partial<Pick<Kit, "load">> {
  const server = stack.servers[column.server];
  if (server === undefined) throw new Error(`${column.id}: its server did not start`);
  const idp = stack.idp;
  const both = "notes:read notes:write";
  const idpToken = async (client: ClientCredentials, resource: string, scope = both) =>
    (await idp.clientCredentialsToken({ ...client, scope, resource })).access_token;
  const key = async (owner: string, scopes = "notes:read,notes:write", extra: string[] = []) => {
    const created = await appCli(server, "keys.ts", ["create", "--owner", owner, "--scopes", scopes, ...extra]);
    return { key: String(created["key"]), id: String(created["id"]) };
  };
  switch (column.id) {
    case "no-auth":
    case "mcp-agent": {
      const anonymous: Caller = {};
      // Two clients of an McpAgent are two sessions (two Durable Objects); of no-auth, the same one.
      const second: Caller = column.id === "mcp-agent" ? { session: "second client" } : anonymous;
      return {
        column,
        server,
        kind: "open",
        callers: async () => [anonymous, second],
        readOnly: async () => "every caller is the same anonymous one",
        expired: async () => "no credential",
        otherAudience: async () => "no credential",
        revoker: async () => "no credential to revoke",
      };
    }
    case "tv-api-key":
      return {
        column,
        server,
        kind: "header",
        // Each key allows 600 uses a minute: the load rotates over eight (as the bench does).
        load: async () => {
          const keys: string[] = [];
          for (let n = 0; n < 8; n++) keys.push((await key(`load-${n}`)).key);
          let next = 0;
          return () => `Bearer ${keys[next++ % keys.length] ?? ""}`;
        },
        callers: once(async () => [bearer((await key("alice")).key), bearer((await key("bob")).key)]),
        readOnly: async () => bearer((await key("reader", "notes:read")).key),
        expired: async () => "the key CLI sets expiry in whole days (--expires-in-days), so none can be made expired",
        otherAudience: async () => "an API key belongs to one server's key store; it has no audience",
        revoker: async () => {
          const made = await key("revoked");
          return {
            action: "keys revoke <id> (CLI)",
            caller: bearer(made.key),
            revoke: async () => {
              await appCli(server, "keys.ts", ["revoke", made.id]);
            },
          };
        },
      };
    case "tv-jwt":
      return {
        column,
        server,
        kind: "header",
        callers: once(async () => [
          await hs256({ sub: "alice", scope: both }),
          await hs256({ sub: "bob", scope: both }),
        ]),
        readOnly: () => hs256({ sub: "reader", scope: "notes:read" }),
        expired: () => hs256({ sub: "alice", scope: both, expiresIn: Math.floor(Date.now() / 1000) - 60 }),
        otherAudience: () => hs256({ sub: "alice", scope: both, aud: OTHER_RESOURCE }),
        revoker: async () => "a JWT is valid until its exp: nothing can revoke it earlier",
      };
    case "tv-jwks":
      return {
        column,
        server,
        kind: "header",
        callers: once(async () => [
          bearer(await idpToken(DEV_TEST_CLIENT, TV_RESOURCE)),
          bearer(await idpToken(SECOND_CLIENT, TV_RESOURCE)),
        ]),
        readOnly: async () => bearer(await idpToken(DEV_TEST_CLIENT, TV_RESOURCE, "notes:read")),
        expired: async () =>
          "dev-idp issues tokens of its configured lifetime (an hour); the run does not wait for one to expire",
        otherAudience: async () => bearer(await idpToken(DEV_TEST_CLIENT, OTHER_RESOURCE)),
        revoker: async () => "a JWT is valid until its exp: revoking it at the IdP does not reach this server",
      };
    case "tv-introspection":
      return {
        column,
        server,
        kind: "header",
        callers: once(async () => [
          bearer(await idpToken(DEV_TEST_CLIENT, OPAQUE_RESOURCE)),
          bearer(await idpToken(SECOND_CLIENT, OPAQUE_RESOURCE)),
        ]),
        readOnly: async () => bearer(await idpToken(DEV_TEST_CLIENT, OPAQUE_RESOURCE, "notes:read")),
        expired: async () =>
          "dev-idp issues tokens of its configured lifetime (an hour); the run does not wait for one to expire",
        otherAudience: async () => bearer(await idpToken(DEV_TEST_CLIENT, OTHER_OPAQUE_RESOURCE)),
        revoker: async () => {
          const token = await idpToken(DEV_TEST_CLIENT, OPAQUE_RESOURCE);
          return {
            action: "RFC 7009 revoke at dev-idp",
            caller: bearer(token),
            revoke: () => idp.revoke(token, DEV_TEST_CLIENT),
          };
        },
      };
    case "oauth-proxy":
    case "full-oauth-provider": {
      const own = column.id === "full-oauth-provider";
      let accounts = 0;
      /** A person: at dev-idp any name signs in; here, an account made with the users CLI. */
      const person = async (): Promise<{ login: string; password: string } | undefined> => {
        accounts++;
        if (!own) return { login: `compare-${accounts}`, password: "any" };
        const login = `compare-${accounts}@example.com`;
        const added = await appCli(server, "users.ts", ["add", "--email", login, "--name", `Compare ${accounts}`], {
          PASSWORD_PEPPER: stack.pepper,
        });
        return { login, password: String(added["password"]) };
      };
      const flow = async (scopes = ["notes:read", "notes:write"]) => runFlow(server.origin, scopes, await person());
      const first = once(() => flow());
      return {
        column,
        server,
        kind: "oauth",
        flow: first,
        freshFlow: () => flow(),
        callers: once(async () => [bearer((await first()).accessToken), bearer((await flow()).accessToken)]),
        readOnly: async () => bearer((await flow(["notes:read"])).accessToken),
        expired: async () => "access tokens live an hour; the run does not wait for one to expire",
        otherAudience: async () => {
          if (!own) return "it issues tokens for its own /mcp only";
          // A token this server issued for another resource (EXTRA_RESOURCES), shown to its own /mcp.
          return bearer(await tokenForExtraResource(server, stack.fopExtraResource, await person()));
        },
        revoker: async () => {
          const who = await person();
          const result = await runFlow(server.origin, ["notes:read", "notes:write"], who);
          const caller = bearer(result.accessToken);
          if (!own) {
            // The operator's lever here is the proxy's own grant (its CLI); revoking the person at
            // the IdP alone reaches this server only at the grant's next refresh.
            const login = who?.login ?? "";
            return {
              action: "proxy-grants revoke (CLI)",
              caller,
              revoke: async () => {
                const listed = await appCli(server, "proxy-grants.ts", ["list", "--user", login]);
                const grants = (listed as { grants?: { id: string }[] }).grants ?? [];
                const grant = grants[0];
                if (grants.length !== 1 || grant === undefined) {
                  throw new Error(`proxy-grants list --user ${login}: ${String(grants.length)} grants, expected 1`);
                }
                await appCli(server, "proxy-grants.ts", ["revoke", grant.id, "--user", login]);
              },
              refreshAfter: () => refreshOutcome(result),
            };
          }
          return {
            action: "Revoke on /account",
            caller,
            revoke: () => revokeOnAccountPage(server.origin, result),
            refreshAfter: () => refreshOutcome(result),
          };
        },
      };
    }
    default:
      throw new Error(`unknown column ${column.id}`);
  }
}

/** The first connected app's Revoke button on /account, pressed in the flow's own browser. */
async function revokeOnAccountPage(origin: string, flow: FlowResult): Promise<void> {
  const { parseForms, formEntries } = await import("@mcp-auth/dev-harness");
  const page = await flow.browser.fetch(new URL("/account", origin));
  const form = parseForms(await page.text(), new URL("/account", origin)).find(
    (f) => f.action.pathname === "/account/revoke",
  );
  if (form === undefined) throw new Error("the account page has no Revoke button");
  const answer = await flow.browser.fetch(new URL("/account/revoke", origin), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin, "sec-fetch-site": "same-origin" },
    body: new URLSearchParams(formEntries(form)).toString(),
  });
  if (answer.status !== 303) throw new Error(`Revoke answered ${answer.status}`);
}

/** A token full-oauth-provider issues for `resource` (one of its EXTRA_RESOURCES), through its own pages. */
async function tokenForExtraResource(
  server: Server,
  resource: string,
  signIn: { login: string; password: string } | undefined,
): Promise<string> {
  const { authorizeHeadlessly } = await import("@mcp-auth/dev-harness");
  const { createHash, randomBytes } = await import("node:crypto");
  const redirectUri = "http://127.0.0.1:33418/callback";
  const registered = await fetch(`${server.origin}/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ client_name: "compare", redirect_uris: [redirectUri], token_endpoint_auth_method: "none" }),
  });
  const { client_id: clientId } = (await registered.json()) as { client_id: string };
  const verifier = randomBytes(32).toString("base64url");
  const url = new URL("/authorize", server.origin);
  for (const [name, value] of Object.entries({
    response_type: "code",
    client_id: clientId,
    redirect_uri: redirectUri,
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
    scope: "notes:read",
    state: "compare",
    resource,
  })) {
    url.searchParams.set(name, value);
  }
  const { callback } = await authorizeHeadlessly({
    authorizationUrl: url,
    redirectUri,
    consent: { decision: "approve", scopes: ["notes:read"] },
    ...signIn,
  });
  const answer = await fetch(`${server.origin}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code: callback.searchParams.get("code") ?? "",
      redirect_uri: redirectUri,
      client_id: clientId,
      code_verifier: verifier,
    }),
  });
  const tokens = (await answer.json()) as { access_token?: string };
  if (tokens.access_token === undefined) throw new Error(`no token for ${resource}: HTTP ${answer.status}`);
  return tokens.access_token;
}

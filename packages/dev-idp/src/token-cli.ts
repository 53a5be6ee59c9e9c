// A client of a running dev IdP for people and READMEs, with nothing but Node: get a token, check
// one, revoke one. DEV ONLY (the client secrets are the dev-idp defaults).
//
//   npm run -s idp-token -- [--resource URL] [--scope "notes:read notes:write"]   # prints only the token
//   npm run -s idp-introspect -- TOKEN                                             # prints the RFC 7662 answer
//   npm run -s idp-revoke -- TOKEN                                                 # RFC 7009, opaque tokens only
//
// The IdP is found as `pnpm dev` starts it: DEV_IDP_ISSUER, else http://127.0.0.1:<DEV_IDP_PORT or 8791>.
import { parseArgs } from "node:util";
import { DEV_RESOURCE_SERVER_CLIENT, DEV_TEST_CLIENT, basicAuth, type ClientCredentials } from "./index.ts";

const USAGE = `usage: npm run -s idp-token -- [--resource URL] [--scope "notes:read notes:write"]
       npm run -s idp-introspect -- TOKEN
       npm run -s idp-revoke -- TOKEN
the IdP: DEV_IDP_ISSUER, else http://127.0.0.1:<DEV_IDP_PORT or 8791>`;

/** A failure reported as one line (no stack trace), with its exit code. */
class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}

function issuer(): string {
  const fromEnv = process.env.DEV_IDP_ISSUER;
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv.replace(/\/$/, "");
  const port = process.env.DEV_IDP_PORT;
  return `http://127.0.0.1:${port === undefined || port === "" ? "8791" : port}`;
}

/** A form POST to the IdP as `client`; the parsed JSON answer (or the OAuth error, as a CliError). */
async function post(path: string, client: ClientCredentials, form: Record<string, string>): Promise<unknown> {
  const url = `${issuer()}${path}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { authorization: basicAuth(client), "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form),
      signal: AbortSignal.timeout(10_000),
    });
  } catch {
    throw new CliError(`no dev IdP answers at ${issuer()}: start it with \`npx -y pnpm@10.34.9 dev\``, 1);
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text === "" ? {} : JSON.parse(text);
  } catch {
    throw new CliError(`${url} answered ${response.status} with something other than JSON`, 1);
  }
  if (!response.ok) {
    // The IdP's error answer names the failed check (invalid_scope, invalid_target…), never a token.
    const { error, error_description: description } = body as { error?: unknown; error_description?: unknown };
    throw new CliError(
      `${url} answered ${response.status} ${typeof error === "string" ? error : ""}${
        typeof description === "string" ? `: ${description}` : ""
      }`,
      1,
    );
  }
  return body;
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        resource: { type: "string", default: "http://localhost:8788/mcp" },
        scope: { type: "string", default: "notes:read notes:write" },
      },
    });
  } catch (error) {
    throw new CliError(`${error instanceof Error ? error.message : "bad arguments"}\n\n${USAGE}`, 2);
  }
  const [command, token, ...rest] = parsed.positionals;
  if (rest.length > 0) throw new CliError(`unexpected arguments\n\n${USAGE}`, 2);
  switch (command) {
    case "token": {
      if (token !== undefined) throw new CliError(`token takes no positional argument\n\n${USAGE}`, 2);
      const body = await post("/token", DEV_TEST_CLIENT, {
        grant_type: "client_credentials",
        scope: parsed.values.scope,
        resource: parsed.values.resource,
      });
      const accessToken = (body as { access_token?: unknown }).access_token;
      if (typeof accessToken !== "string") throw new CliError("the token answer has no access_token", 1);
      // Only the token, so `TOKEN=$(npm run -s idp-token)` works.
      console.log(accessToken);
      return;
    }
    case "introspect":
    case "revoke": {
      if (token === undefined || token === "") throw new CliError(`give the token\n\n${USAGE}`, 2);
      if (command === "introspect") {
        console.log(JSON.stringify(await post("/token/introspection", DEV_RESOURCE_SERVER_CLIENT, { token })));
      } else {
        // Only the client the token was issued to may revoke it.
        await post("/token/revocation", DEV_TEST_CLIENT, { token });
        console.log("revoked (RFC 7009 answers 200 for unknown tokens too)");
      }
      return;
    }
    default:
      throw new CliError(`${command === undefined ? "name a command" : `unknown command ${command}`}\n\n${USAGE}`, 2);
  }
}

try {
  await main();
} catch (error) {
  if (!(error instanceof CliError)) throw error;
  console.error(`error: ${error.message}`);
  process.exitCode = error.exitCode;
}

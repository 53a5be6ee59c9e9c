// The README's "full-oauth-provider as the authorization server" recipe, run as printed (ports
// aside): full-oauth-provider issues a token for token-validation's /mcp (RFC 8707) to a real MCP
// client that discovered it from token-validation's metadata (RFC 9728), signing a person in on
// its login page; token-validation checks the token by introspection (RFC 7662) with the
// credentials the admin CLI issued; revoking the app on /account ends it at token-validation too.
import {
  freePort,
  jsoncToJson,
  parseForms,
  formEntries,
  startWranglerDev,
  type WranglerDev,
} from "@mcp-auth/dev-harness";
import { HeadlessOAuthProvider } from "@mcp-auth/mcp-core/testing/node";
import { Client, StreamableHTTPClientTransport, auth } from "@modelcontextprotocol/client";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APP_DIR, REPO_ROOT, parseDevVars } from "./readme-recipes.ts";

const AS_DIR = join(REPO_ROOT, "apps", "full-oauth-provider");
/** The dev ports the README prints; the test's servers listen on free ports instead. */
const README_AS = "http://localhost:8790";
const README_RS = "http://localhost:8788";
const PEPPER = "e2e-only-password-pepper-0123456789abcdef";
const EMAIL = "composition@example.com";
const PASSWORD = "e2e password for the composition";

/** The recipe's .dev.vars lines, read from the README (the block after its marker). */
function compositionRecipe(): Record<string, string> {
  const readme = readFileSync(join(APP_DIR, "README.md"), "utf8");
  const at = readme.indexOf("<!-- composition: full-oauth-provider -->");
  const block = /```dotenv\n([\s\S]*?)```/.exec(readme.slice(at))?.[1];
  if (at === -1 || block === undefined)
    throw new Error("README: the composition recipe's marker or dotenv block is missing");
  return parseDevVars(block);
}

/** An app's variables as `pnpm dev` has them: wrangler.jsonc's, then the example's, then `overrides`. */
function devVars(appDir: string, overrides: Record<string, string>): Record<string, string> {
  const config = JSON.parse(jsoncToJson(readFileSync(join(appDir, "wrangler.jsonc"), "utf8"))) as {
    vars: Record<string, string>;
  };
  const example = parseDevVars(readFileSync(join(appDir, ".dev.vars.example"), "utf8"));
  return { ...config.vars, ...example, ...overrides };
}

/** full-oauth-provider's admin CLI against the running server's state, as an operator runs it. */
function adminCli(stateDir: string, args: string[], input = ""): Promise<string> {
  const child = spawn(process.execPath, [join(AS_DIR, "scripts", "users.ts"), ...args, "--persist-to", stateDir], {
    cwd: AS_DIR,
    env: { ...process.env, PASSWORD_PEPPER: PEPPER, WRANGLER_SEND_METRICS: "false", CI: "true" },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(input);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`users ${args.join(" ")} exited ${String(code)}: ${stderr}`));
    });
  });
}

let as: WranglerDev | undefined;
let rs: WranglerDev | undefined;
let asOrigin: string;
let resource: string;
const stateDir = mkdtempSync(join(tmpdir(), "composition-as-"));

beforeAll(async () => {
  const [asPort, rsPort] = [await freePort(), await freePort()];
  asOrigin = `http://localhost:${asPort}`;
  const rsOrigin = `http://localhost:${rsPort}`;
  resource = `${rsOrigin}/mcp`;
  const ported = (value: string) => value.replaceAll(README_AS, asOrigin).replaceAll(README_RS, rsOrigin);
  // full-oauth-provider with its dev settings: EXTRA_RESOURCES names token-validation's /mcp.
  const asVars = devVars(AS_DIR, { PUBLIC_ORIGIN: asOrigin, PASSWORD_PEPPER: PEPPER });
  as = await startWranglerDev({
    cwd: AS_DIR,
    port: asPort,
    stateDir,
    prepare: [["d1", "migrations", "apply", "DB", "--local"]],
    vars: Object.fromEntries(Object.entries(asVars).map(([name, value]) => [name, ported(value)])),
  });
  await adminCli(stateDir, ["add", "--email", EMAIL, "--name", "Composer", "--password-stdin"], PASSWORD);
  const added = JSON.parse(
    await adminCli(stateDir, [
      "resource-servers",
      "add",
      "--name",
      "token-validation",
      "--resource",
      resource,
      "--json",
    ]),
  ) as { id: string; secret: string; resources: string[] };
  expect(added.resources).toEqual([resource]);
  // token-validation with the recipe's lines: the dev registration's id and secret become the
  // ones the CLI just issued (its resource is this test's port, not the README's).
  const recipe = compositionRecipe();
  rs = await startWranglerDev({
    cwd: APP_DIR,
    port: rsPort,
    prepare: [["d1", "migrations", "apply", "KEYS_DB", "--local"]],
    vars: Object.fromEntries(
      Object.entries(
        devVars(APP_DIR, {
          ...recipe,
          INTROSPECTION_CLIENT_ID: added.id,
          INTROSPECTION_CLIENT_SECRET: added.secret,
          // Every check asks the AS, so the revocation below is seen on the very next call.
          INTROSPECTION_CACHE_SECONDS: "0",
        }),
      ).map(([name, value]) => [name, ported(value)]),
    ),
  });
}, 300_000);

afterAll(async () => {
  await Promise.allSettled([rs?.stop(), as?.stop()]);
  rmSync(stateDir, { recursive: true, force: true });
});

describe("token-validation trusting full-oauth-provider (introspection)", () => {
  it("sign in at the AS, call tools at token-validation, revoke on /account, refused at token-validation", async () => {
    const provider = new HeadlessOAuthProvider("composition client", {
      login: EMAIL,
      password: PASSWORD,
      consent: { decision: "approve", scopes: ["notes:read", "notes:write"] },
    });
    // The client starts from token-validation's URL: its 401 and metadata name the AS.
    const serverUrl = new URL(resource);
    expect(await auth(provider, { serverUrl, scope: "notes:read notes:write" })).toBe("REDIRECT");
    await provider.finish("sdk-v2 (2026-07-28)", serverUrl);
    expect(provider.tokens()?.scope).toBe("notes:read notes:write");

    const client = new Client({ name: "composition", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(serverUrl, { authProvider: provider }));
    const whoami = await client.callTool({ name: "whoami", arguments: {} });
    expect(whoami.isError).not.toBe(true);
    expect(whoami.structuredContent).toMatchObject({
      method: "introspection",
      issuer: asOrigin,
      scopes: ["notes:read", "notes:write"],
    });
    const written = await client.callTool({ name: "notes_add", arguments: { text: "composed" } });
    expect(written.isError).not.toBe(true);
    await client.close();

    // Revoke the app on the AS's account page, in the same browser that signed in.
    const page = await provider.browser.fetch(new URL("/account", asOrigin));
    const html = await page.text();
    const revoke = parseForms(html, new URL("/account", asOrigin)).find(
      (form) => form.action.pathname === "/account/revoke",
    );
    if (revoke === undefined) throw new Error("the account page lists no app with a Revoke button");
    const revoked = await provider.browser.fetch(new URL("/account/revoke", asOrigin), {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        origin: asOrigin,
        "sec-fetch-site": "same-origin",
      },
      body: new URLSearchParams(formEntries(revoke)).toString(),
    });
    expect(revoked.status).toBe(303);

    const after = await fetch(resource, {
      method: "POST",
      headers: {
        authorization: `Bearer ${provider.tokens()?.access_token ?? ""}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(after.status).toBe(401);
    expect(await after.json()).toEqual({ error: "invalid_token", error_description: "The token is not active." });
  });
});

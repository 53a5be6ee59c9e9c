// The admin CLI against the running dev state: add a user, sign in as them, list and revoke
// their grant, sign in again, disable them (their token stops at once), and read the audit rows
// those steps produced.
import { connectClient } from "@mcp-auth/mcp-core/testing";
import { describe, expect, inject, it } from "vitest";
import { usersCli } from "./global-setup.ts";
import { HeadlessProvider, signInThroughSdk } from "./flow.ts";

const cli = (args: string[], input?: string) => usersCli(inject("stateDir"), inject("pepper"), args, input);

/** The whole flow for `provider` through SDK v2's auth(); the tokens and a connection. */
async function signIn(provider: HeadlessProvider) {
  const tokens = await signInThroughSdk(provider);
  const url = new URL("/mcp", inject("origin"));
  return { tokens, connection: { url, headers: { authorization: `Bearer ${tokens.access_token}` } } };
}

async function refreshStatus(provider: HeadlessProvider, refreshToken: string) {
  const response = await fetch(new URL("/token", inject("origin")), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "refresh_token",
      refresh_token: refreshToken,
      client_id: provider.clientInformation()?.client_id ?? "",
    }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

// Each CLI call starts wrangler's D1 proxy (seconds of CPU), and one test makes up to a dozen:
// generous on a busy 2-core machine; a passing run takes what it takes.
describe("users CLI against the running server", { timeout: 300_000 }, () => {
  it("add → sign in → grants list → grants revoke (401, invalid_grant) → sign in → disable → audit", async () => {
    const email = `cli-${Date.now()}@example.com`;
    const added = await cli(["add", "--email", email, "--name", "CLI User", "--json"]);
    expect(added.code).toBe(0);
    const { user, password } = JSON.parse(added.output) as { user: { id: string }; password: string };
    expect(user.id).toMatch(/^u_[0-9a-f]{32}$/);
    expect(password.length).toBeGreaterThanOrEqual(15);

    const provider = new HeadlessProvider(email, password);
    const { tokens, connection } = await signIn(provider);
    const client = await connectClient("sdk-v2 (2026-07-28)", connection);
    expect((await client.callTool("whoami", {})).structuredContent).toMatchObject({ subject: user.id });
    await client.close();

    const grants = await cli(["grants", "list", "--user", email, "--json"]);
    expect(grants.code).toBe(0);
    const [grant] = JSON.parse(grants.output) as { id: string; userId: string; clientId: string }[];
    expect(grant).toMatchObject({ userId: user.id, clientId: provider.clientInformation()?.client_id });
    const revoked = await cli(["grants", "revoke", grant?.id ?? "", "--user", email]);
    expect(revoked.output).toBe(`revoked ${grant?.id ?? ""} of ${email}\n`);
    await expect(connectClient("sdk-v2 (2026-07-28)", connection)).rejects.toThrow(/401|unauthorized/i);
    expect(await refreshStatus(provider, tokens.refresh_token ?? "")).toMatchObject({
      status: 400,
      body: { error: "invalid_grant" },
    });
    const again = await cli(["grants", "revoke", grant?.id ?? "", "--user", email]);
    expect(again.code).toBe(1);
    expect(again.output).toBe(`users: ${email} has no grant ${grant?.id ?? ""}\n`);

    // A second sign-in, then the account is disabled: its token and its refresh stop at once.
    const second = new HeadlessProvider(email, password);
    const signedIn = await signIn(second);
    await (await connectClient("sdk-v2 (2026-07-28)", signedIn.connection)).close();
    const listed = await cli(["list", "--json"]);
    expect(JSON.parse(listed.output)).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: user.id, email })]),
    );
    const disabled = await cli(["disable", email]);
    expect(disabled.output).toBe(`disabled ${user.id} ${email} (1 grants revoked)\n`);
    await expect(connectClient("sdk-v2 (2026-07-28)", signedIn.connection)).rejects.toThrow(/401|unauthorized/i);
    expect(await refreshStatus(second, signedIn.tokens.refresh_token ?? "")).toMatchObject({
      status: 400,
      body: { error: "invalid_grant" },
    });

    // Audit rows are written just after each response: read until the last one is there (a busy
    // machine can take a while), then check the whole set.
    const readEvents = async () => {
      const audit = await cli(["audit", "--user", user.id, "--json"]);
      expect(audit.code).toBe(0);
      const events = (JSON.parse(audit.output) as { event: string; outcome: string }[]).map(
        (row) => `${row.event}:${row.outcome}`,
      );
      return { audit, events };
    };
    let { audit, events } = await readEvents();
    for (const until = Date.now() + 20_000; !events.includes("user_disabled:ok") && Date.now() < until;) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      ({ audit, events } = await readEvents());
    }
    expect(events).toEqual(
      expect.arrayContaining([
        "sign_in:ok",
        "consent:approved",
        "grant_created:ok",
        "grant_revoked:ok",
        "user_disabled:ok",
      ]),
    );
    for (const secret of [password, tokens.access_token, tokens.refresh_token, signedIn.tokens.access_token]) {
      expect(audit.output).not.toContain(secret);
    }
  });

  it("set-password ends the old browser session, the grant (401, invalid_grant); add and set-password are audited", async () => {
    const email = `cli-reset-${Date.now()}@example.com`;
    const added = await cli(["add", "--email", email, "--name", "Reset User", "--json"]);
    const { user, password } = JSON.parse(added.output) as { user: { id: string }; password: string };
    const provider = new HeadlessProvider(email, password);
    const { tokens, connection } = await signIn(provider);
    const account = () => provider.browser.fetch(new URL("/account", inject("origin")));
    expect((await account()).status).toBe(200);

    const reset = await cli(["set-password", email, "--password-stdin"], "a fresh password for after the reset\n");
    expect(reset.code).toBe(0);
    expect(reset.output).toBe(`new password set for ${user.id} ${email}: sessions ended, 1 grants revoked\n`);
    const after = await account();
    expect(after.status).toBe(303);
    expect(after.headers.get("location")).toBe("/login");
    await expect(connectClient("sdk-v2 (2026-07-28)", connection)).rejects.toThrow(/401|unauthorized/i);
    expect(await refreshStatus(provider, tokens.refresh_token ?? "")).toMatchObject({
      status: 400,
      body: { error: "invalid_grant" },
    });

    // --keep-grants: the sessions end, the connected app keeps working.
    const second = new HeadlessProvider(email, "a fresh password for after the reset");
    const kept = await signIn(second);
    const keep = await cli(["set-password", email, "--keep-grants"]);
    expect(keep.output).toMatch(new RegExp(`^new password set for ${user.id} ${email}: sessions ended, grants kept\n`));
    await (await connectClient("sdk-v2 (2026-07-28)", kept.connection)).close();

    // As a person reads it: a header line, and the grant each grant_created row made.
    const [header, ...lines] = (await cli(["audit", "--user", email])).output.trimEnd().split("\n");
    expect(header?.split(/\s+/)).toEqual(["at", "event", "outcome", "user", "client", "grant", "address", "detail"]);
    const created = lines.filter((line) => line.split(/\s+/)[1] === "grant_created");
    expect(created.length).toBeGreaterThanOrEqual(2);
    for (const line of created) expect(line.split(/\s+/)[5]).toMatch(/^[A-Za-z0-9_-]{8,}$/);
    const grantLines = (await cli(["grants", "list", "--user", email])).output.trimEnd().split("\n");
    expect(grantLines[0]?.split(/\s+/)).toEqual(["grant", "user", "client", "since", "scopes"]);

    const audit = await cli(["audit", "--user", email, "--json"]);
    const rows = JSON.parse(audit.output) as { event: string; outcome: string; detail: string | null }[];
    expect(rows.map((row) => `${row.event}:${row.outcome}:${row.detail ?? ""}`)).toEqual(
      expect.arrayContaining([
        "user_added:ok:cli",
        "password_set:ok:cli; sessions ended; 1 grants revoked",
        "password_set:ok:cli; sessions ended; grants kept",
      ]),
    );
  });

  it("a bad command is a usage error (exit 2); an unknown user is one sentence (exit 1)", async () => {
    const bad = await cli(["frobnicate"]);
    expect(bad.code).toBe(2);
    expect(bad.output).toContain("unknown command: frobnicate");
    const unknown = await cli(["disable", "nobody@example.com"]);
    expect(unknown.code).toBe(1);
    expect(unknown.output).toBe("users: no user nobody@example.com\n");
  });

  it("resource-servers add → its secret introspects (RFC 7662) → list → remove → the secret is refused", async () => {
    const resource = new URL("/mcp", inject("origin")).href;
    const added = await cli([
      "resource-servers",
      "add",
      "--name",
      "CLI resource server",
      "--resource",
      resource,
      "--json",
    ]);
    expect(added.code).toBe(0);
    const server = JSON.parse(added.output) as { id: string; secret: string; resources: string[] };
    expect(server.id).toMatch(/^rs_[0-9a-f]{16}$/);
    expect(server.resources).toEqual([resource]);
    const { tokens } = await signIn(
      new HeadlessProvider("cli-introspect@example.com", inject("accounts")["cli-introspect@example.com"] ?? ""),
    );
    const introspect = () =>
      fetch(new URL("/introspect", inject("origin")), {
        method: "POST",
        headers: {
          authorization: `Basic ${btoa(`${server.id}:${server.secret}`)}`,
          "content-type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams({ token: tokens.access_token }),
      });
    expect(await (await introspect()).json()).toMatchObject({ active: true, aud: resource, iss: inject("origin") });
    const listed = await cli(["resource-servers", "list"]);
    expect(listed.output).toContain(`${server.id}  CLI resource server`);
    expect(listed.output).not.toContain(server.secret);
    const removed = await cli(["resource-servers", "remove", server.id]);
    expect(removed.output).toBe(`removed ${server.id}: its secret no longer introspects\n`);
    const refused = await introspect();
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({
      error: "invalid_client",
      error_description: "Client authentication failed.",
    });
    const audit = (await cli(["audit", "--limit", "20"])).output;
    expect(audit).toContain("resource_server_added");
    expect(audit).toContain("resource_server_removed");
  });

  it("resource-servers: a missing --resource is a usage error; a bad URL or unknown id one sentence", async () => {
    const missing = await cli(["resource-servers", "add", "--name", "x"]);
    expect(missing.code).toBe(2);
    expect(missing.output).toContain("resource-servers add needs --name and at least one --resource");
    const ftp = await cli(["resource-servers", "add", "--name", "x", "--resource", "ftp://example.com/mcp"]);
    expect(ftp.code).toBe(1);
    expect(ftp.output).toBe("users: ftp://example.com/mcp is not an http(s) URL without fragment or userinfo\n");
    const unknown = await cli(["resource-servers", "remove", "rs_0000000000000000"]);
    expect(unknown.code).toBe(1);
    expect(unknown.output).toBe("users: no resource server rs_0000000000000000\n");
  });
});

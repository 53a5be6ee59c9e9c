// The admin CLI against the running dev state: add a user, sign in as them, disable them (their
// token stops at once), and read the audit rows those steps produced.
import { connectClient } from "@mcp-auth/mcp-core/testing";
import { auth } from "@modelcontextprotocol/client";
import { describe, expect, inject, it } from "vitest";
import { usersCli } from "./global-setup.ts";
import { HeadlessProvider } from "./flow.ts";

const cli = (args: string[], input?: string) => usersCli(inject("stateDir"), inject("pepper"), args, input);

describe("users CLI against the running server", () => {
  it("add → sign in as them → disable (next call 401, refresh invalid_grant) → audit shows it all", async () => {
    const email = `cli-${Date.now()}@example.com`;
    const added = await cli(["add", "--email", email, "--name", "CLI User", "--json"]);
    expect(added.code).toBe(0);
    const { user, password } = JSON.parse(added.output) as { user: { id: string }; password: string };
    expect(user.id).toMatch(/^u_[0-9a-f]{32}$/);
    expect(password.length).toBeGreaterThanOrEqual(15);

    const provider = new HeadlessProvider(email, password);
    const serverUrl = new URL("/mcp", inject("origin"));
    expect(await auth(provider, { serverUrl })).toBe("REDIRECT");
    const result = await provider.pending;
    await auth(provider, {
      serverUrl,
      authorizationCode: result?.callback.searchParams.get("code") ?? "",
      iss: result?.callback.searchParams.get("iss") ?? undefined,
    });
    const tokens = provider.tokens();
    const connection = { url: serverUrl, headers: { authorization: `Bearer ${tokens?.access_token ?? ""}` } };
    const client = await connectClient("sdk-v2 (2026-07-28)", connection);
    expect((await client.callTool("whoami", {})).structuredContent).toMatchObject({ subject: user.id });
    await client.close();

    const listed = await cli(["list", "--json"]);
    expect(JSON.parse(listed.output)).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: user.id, email })]),
    );
    expect((await cli(["disable", email])).code).toBe(0);
    await expect(connectClient("sdk-v2 (2026-07-28)", connection)).rejects.toThrow(/401|unauthorized/i);
    const refresh = await fetch(new URL("/token", inject("origin")), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: tokens?.refresh_token ?? "",
        client_id: provider.clientInformation()?.client_id ?? "",
      }),
    });
    expect(refresh.status).toBe(400);
    expect(await refresh.json()).toMatchObject({ error: "invalid_grant" });

    // Audit rows are written just after each response; give the last one a moment.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const audit = await cli(["audit", "--user", user.id, "--json"]);
    expect(audit.code).toBe(0);
    const events = (JSON.parse(audit.output) as { event: string; outcome: string }[]).map(
      (row) => `${row.event}:${row.outcome}`,
    );
    expect(events).toEqual(
      expect.arrayContaining(["sign_in:ok", "consent:approved", "grant_created:ok", "grant_refreshed:refused"]),
    );
    for (const secret of [password, tokens?.access_token, tokens?.refresh_token]) {
      expect(audit.output).not.toContain(secret);
    }
  });

  it("a bad command is a usage error (exit 2); an unknown user is one sentence (exit 1)", async () => {
    const bad = await cli(["frobnicate"]);
    expect(bad.code).toBe(2);
    expect(bad.output).toContain("unknown command: frobnicate");
    const unknown = await cli(["disable", "nobody@example.com"]);
    expect(unknown.code).toBe(1);
    expect(unknown.output).toBe("users: no user nobody@example.com\n");
  });
});

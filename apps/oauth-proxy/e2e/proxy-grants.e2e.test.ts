import { GRANT_ENDED_DESCRIPTION } from "@mcp-auth/auth-common/testing/node";
import { postMcp, runToCompletion, signIn, tokenRequest, wranglerEnv } from "@mcp-auth/dev-harness";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";

// The operator CLI against the running server's own state (`--persist-to`, as compare's appCli
// runs the other apps' CLIs): what it lists is what sign-ins made, and what it revokes the
// server refuses from the next request.
const APP_DIR = join(import.meta.dirname, "..");

interface Listed {
  id: string;
  userId: string;
  issuer: string | null;
  subject: string | null;
  clientId: string;
  scope: string[];
  createdAt: number;
}

async function cli(args: string[]): Promise<{ code: number | null; stdout: string; tail: string }> {
  return runToCompletion(
    process.execPath,
    [join(APP_DIR, "scripts", "proxy-grants.ts"), ...args, "--persist-to", inject("stateDir")],
    { cwd: APP_DIR, env: wranglerEnv() },
  );
}

async function cliJson<T>(args: string[]): Promise<T> {
  const result = await cli([...args, "--json"]);
  expect(result.code, result.tail).toBe(0);
  return JSON.parse(result.stdout) as T;
}

async function expectTokenRefused(accessToken: string) {
  const response = await postMcp(inject("origin"), accessToken);
  expect(response.status).toBe(401);
  expect(response.headers.get("www-authenticate")).toContain('error="invalid_token"');
  expect(await response.json()).toMatchObject({
    error: "invalid_token",
    error_description: "The access token is unknown, expired or revoked, or was issued for another resource.",
  });
}

describe("npm run proxy-grants: the operator ends grants", () => {
  it("lists who signed in, revokes one grant, then every grant; their tokens are refused at /mcp and /token", async () => {
    const ada = await signIn(inject("origin"), { login: "cli-ada", scope: "notes:read notes:write" });
    const bob = await signIn(inject("origin"), { login: "cli-bob" });
    expect((await postMcp(inject("origin"), ada.tokens.accessToken)).status).toBe(200);

    const { grants } = await cliJson<{ grants: Listed[] }>(["list"]);
    const adas = grants.filter((grant) => grant.subject === "cli-ada");
    expect(adas).toEqual([
      {
        id: expect.any(String) as string,
        userId: `oauth|${encodeURIComponent(inject("devIdp").issuer)}|cli-ada`,
        issuer: inject("devIdp").issuer,
        subject: "cli-ada",
        clientId: ada.peer.client.client_id,
        scope: ["notes:read", "notes:write"],
        createdAt: expect.any(Number) as number,
      },
    ]);
    // --user SUBJECT lists that user's grants alone.
    const onlyBob = await cliJson<{ grants: Listed[] }>(["list", "--user", "cli-bob"]);
    expect(onlyBob.grants.map((grant) => [grant.subject, grant.clientId])).toEqual([
      ["cli-bob", bob.peer.client.client_id],
    ]);
    const [bobsGrant] = onlyBob.grants;
    if (bobsGrant === undefined) throw new Error("bob has no grant");

    // One grant, named by its id and user key: bob's tokens stop working, ada's do not.
    const one = await cliJson<{ revoked: number; grants: Listed[] }>([
      "revoke",
      bobsGrant.id,
      "--user",
      bobsGrant.userId,
    ]);
    expect(one).toMatchObject({ revoked: 1, grants: [{ id: bobsGrant.id, subject: "cli-bob" }] });
    await expectTokenRefused(bob.tokens.accessToken);
    expect((await postMcp(inject("origin"), ada.tokens.accessToken)).status).toBe(200);

    // Every grant (what an operator retiring this app runs).
    const all = await cliJson<{ revoked: number; grants: Listed[] }>(["revoke-all", "--yes"]);
    expect(all.grants.map((grant) => grant.id)).toContain(adas[0]?.id);
    expect(all.revoked).toBe(all.grants.length);
    expect((await cliJson<{ grants: Listed[] }>(["list"])).grants).toEqual([]);

    await expectTokenRefused(ada.tokens.accessToken);
    for (const { peer, tokens } of [ada, bob]) {
      const refreshed = await tokenRequest(peer, {
        grant_type: "refresh_token",
        refresh_token: tokens.refreshToken,
        client_id: peer.client.client_id,
      });
      expect(refreshed.status).toBe(400);
      expect(refreshed.body).toEqual({ error: "invalid_grant", error_description: GRANT_ENDED_DESCRIPTION });
    }
  });

  it("revoke-all on a terminal asks first: no keeps the grants, yes revokes them", async () => {
    const cy = await signIn(inject("origin"), { login: "cli-cy" });
    /** revoke-all run on a pseudo-terminal (util-linux `script`), the operator typing `answer`. */
    const onTerminal = (answer: string) => {
      const command = [process.execPath, join(APP_DIR, "scripts", "proxy-grants.ts"), "revoke-all"]
        .concat(["--user", "cli-cy", "--persist-to", inject("stateDir")])
        .map((word) => `'${word}'`)
        .join(" ");
      const run = spawnSync("script", ["-qec", command, "/dev/null"], {
        cwd: APP_DIR,
        env: wranglerEnv(),
        input: `${answer}\n`,
        encoding: "utf8",
        timeout: 60_000,
      });
      return { code: run.status, output: run.stdout + run.stderr };
    };
    const declined = onTerminal("n");
    expect(declined.output).toContain("Revoke 1 grant (of cli-cy)? [y/N]");
    expect(declined.output).toContain("proxy-grants: nothing revoked");
    expect(declined.code).toBe(1);
    expect((await cliJson<{ grants: Listed[] }>(["list", "--user", "cli-cy"])).grants).toHaveLength(1);
    expect((await postMcp(inject("origin"), cy.tokens.accessToken)).status).toBe(200);

    const accepted = onTerminal("y");
    expect(accepted.output).toContain("revoked 1 grant: their clients must sign in again");
    expect(accepted.code).toBe(0);
    await expectTokenRefused(cy.tokens.accessToken);
  });

  it("refuses usage errors before touching any state, and says what is wrong", async () => {
    const cases: [string[], number, string][] = [
      // Not a terminal (stdin is not one here): nobody to confirm, so --yes is required.
      [["revoke-all"], 2, "revoke-all ends grants for good: add --yes (there is no terminal to confirm on)"],
      [["revoke", "some-grant"], 2, "revoke needs GRANT_ID and --user"],
      [["retire"], 2, "unknown command: retire"],
      [["revoke", "no-such-grant", "--user", "cli-ada"], 1, "proxy-grants: cli-ada has no grant no-such-grant"],
    ];
    for (const [args, code, message] of cases) {
      const result = await cli(args);
      expect(result.code, args.join(" ")).toBe(code);
      expect(result.tail).toContain(message);
      if (code === 2) expect(result.tail).toContain("usage: npm run proxy-grants --");
      expect(result.stdout).toBe("");
    }
    const missing = await runToCompletion(
      process.execPath,
      [join(APP_DIR, "scripts", "proxy-grants.ts"), "list", "--persist-to", join(inject("stateDir"), "no-such-dir")],
      { cwd: APP_DIR, env: wranglerEnv() },
    );
    expect(missing.code).toBe(1);
    expect(missing.tail).toContain("proxy-grants: no local KV state in");
  });
});

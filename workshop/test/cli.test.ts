// The CLI's usage errors and reset's refusal (no servers), and reset's restore on a scratch repo.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serveOnLoopback } from "@mcp-auth/dev-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../lib/command.ts";
import { stateDirOf, WORKSHOP_DIR } from "../lib/exercises.ts";
import { changedUnder, restoreFromHead } from "../lib/git.ts";

function workshop(args: string[], env: Record<string, string> = {}) {
  return runCommand(process.execPath, [join(WORKSHOP_DIR, "run.ts"), ...args], { env });
}

describe("workshop CLI", () => {
  it("an unknown exercise is a usage error (exit 2) that lists the exercises", async () => {
    const result = await workshop(["check", "99"]);
    expect(result.code).toBe(2);
    expect(result.tail).toContain("no exercise 99; the exercises are:");
    expect(result.tail).toContain("01  Your first authenticated call");
    expect(result.tail).toContain("usage: npx -y pnpm@10.34.9 workshop");
  });

  it("an unknown command is a usage error (exit 2)", async () => {
    const result = await workshop(["frobnicate"]);
    expect(result.code).toBe(2);
    expect(result.tail).toContain("unknown command frobnicate");
  });

  it("call refuses arguments that are not a JSON object (exit 2) before connecting", async () => {
    const result = await workshop(["call", "http://127.0.0.1:9/mcp", "notes_add", "[1]"]);
    expect(result.code).toBe(2);
    expect(result.tail).toContain(`the tool's arguments must be a JSON object, e.g. '{"text":"hello"}'`);
  });

  it("call says why when nothing answers (exit 1), and never prints the credential", async () => {
    const result = await workshop(["call", "http://127.0.0.1:9/mcp", "whoami"], { MCP_BEARER: "mcpk_secret-for-test" });
    expect(result.code).toBe(1);
    expect(result.tail).toContain("call failed:");
    expect(result.tail).not.toContain("mcpk_secret-for-test");
  });

  it("a refused call shows the server's status and challenge, which the SDK's error leaves out", async () => {
    const server = await serveOnLoopback((_request, response) => {
      response
        .writeHead(401, {
          "www-authenticate": 'Bearer realm="mcp", error="invalid_token"',
          "content-type": "application/json",
        })
        .end(JSON.stringify({ error: "invalid_token" }));
    });
    try {
      const result = await workshop(["call", `${server.origin}/mcp`, "whoami"], {
        MCP_BEARER: "mcpk_refused-key-for-test",
      });
      expect(result.code).toBe(1);
      expect(result.tail).toContain('(HTTP 401, WWW-Authenticate: Bearer realm="mcp", error="invalid_token")');
      expect(result.tail).not.toContain("mcpk_refused-key-for-test");
    } finally {
      await server.stop();
    }
  });

  describe("reset asks first", () => {
    const state = stateDirOf("07");
    const marker = join(state, "cli-test-marker");
    beforeAll(() => {
      // These tests reset exercise 07: state of a learner's own would be lost.
      expect(existsSync(state), `${state} must not exist before this test`).toBe(false);
    });
    afterAll(() => {
      rmSync(state, { recursive: true, force: true });
    });

    /** reset 07 on a pseudo-terminal (util-linux `script`), the learner typing `answer`. */
    const onTerminal = (answer: string) => {
      const command = [process.execPath, join(WORKSHOP_DIR, "run.ts"), "reset", "07"]
        .map((word) => `'${word}'`)
        .join(" ");
      const run = spawnSync("script", ["-qec", command, "/dev/null"], {
        cwd: WORKSHOP_DIR,
        input: `${answer}\n`,
        encoding: "utf8",
        timeout: 60_000,
      });
      return { code: run.status, output: run.stdout + run.stderr };
    };

    it("without --yes and no terminal: lists what it would remove, refuses (exit 2) and removes nothing", async () => {
      mkdirSync(state, { recursive: true });
      writeFileSync(marker, "kept");
      const result = await workshop(["reset", "07"]);
      expect(result.code).toBe(2);
      expect(result.stdout).toContain("remove workshop/.state/07/ (the exercise's local state)");
      expect(result.tail).toContain("not a terminal: nothing reset. Run it again with --yes to reset without asking.");
      expect(readFileSync(marker, "utf8")).toBe("kept");
    });

    it("on a terminal: no keeps everything (exit 1), yes resets (exit 0)", () => {
      mkdirSync(state, { recursive: true });
      writeFileSync(marker, "kept");
      const declined = onTerminal("n");
      expect(declined.output).toContain("Reset these? [y/N]");
      expect(declined.output).toContain("nothing reset");
      expect(declined.code).toBe(1);
      expect(readFileSync(marker, "utf8")).toBe("kept");

      const accepted = onTerminal("y");
      expect(accepted.output).toContain("exercise 07: reset (files as in HEAD, state removed)");
      expect(accepted.code).toBe(0);
      expect(existsSync(state)).toBe(false);
    });
  });
});

describe("restoreFromHead", () => {
  const repo = mkdtempSync(join(tmpdir(), "workshop-git-"));
  const git = (...args: string[]) => execFileSync("git", args, { cwd: repo, encoding: "utf8" });
  afterAll(() => {
    rmSync(repo, { recursive: true, force: true });
  });

  it("puts tracked files back, removes what the exercise created (ignored files too), leaves the rest", async () => {
    git("init", "-q");
    git("config", "user.email", "test@example.test");
    git("config", "user.name", "test");
    mkdirSync(join(repo, "ex"));
    writeFileSync(join(repo, "ex/code.ts"), "original\n");
    writeFileSync(join(repo, "ex/.gitignore"), "answers.json\n");
    writeFileSync(join(repo, "other.ts"), "other\n");
    git("add", ".");
    git("commit", "-q", "-m", "start");

    writeFileSync(join(repo, "ex/code.ts"), "changed by the learner\n");
    writeFileSync(join(repo, "ex/new.ts"), "created by a solution\n");
    writeFileSync(join(repo, "ex/answers.json"), "{}\n");
    writeFileSync(join(repo, "solo.json"), "{}\n");
    writeFileSync(join(repo, "other.ts"), "not the exercise's\n");

    expect(await changedUnder(repo, ["ex", "solo.json"])).toEqual([" M ex/code.ts", "?? ex/new.ts", "?? solo.json"]);
    await restoreFromHead(repo, ["ex", "solo.json"]);

    expect(readFileSync(join(repo, "ex/code.ts"), "utf8")).toBe("original\n");
    expect(existsSync(join(repo, "ex/new.ts"))).toBe(false);
    expect(existsSync(join(repo, "ex/answers.json"))).toBe(false);
    expect(existsSync(join(repo, "solo.json"))).toBe(false);
    expect(readFileSync(join(repo, "other.ts"), "utf8")).toBe("not the exercise's\n");
    expect(git("status", "--porcelain")).toBe(" M other.ts\n");
  });
});

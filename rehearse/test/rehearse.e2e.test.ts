// Every migration path run with --quick against the local stage it starts (real wrangler dev, real
// SDK v1 and v2 clients, dev-idp, headless Chromium for invitations), and the same runs broken on
// purpose: each check must fail with a reason a reader can act on.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PATHS } from "../lib/paths.ts";
import type { RehearsalRecord, Verdict } from "../lib/record.ts";
import { ADMIN_SECRET } from "../lib/stage.ts";

const ROOT = join(import.meta.dirname, "..", "..");

interface Outcome {
  code: number | null;
  record: RehearsalRecord;
  narration: string;
}

/** `rehearse <args> --json`: the exit code, the record (stdout) and the narration (stderr). */
function rehearse(...args: string[]): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, "rehearse", "run.ts"), ...args, "--json"], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      try {
        resolve({ code, record: JSON.parse(stdout) as RehearsalRecord, narration: stderr });
      } catch {
        reject(
          new Error(`rehearse ${args.join(" ")} printed no record (exit ${String(code)}):\n${stderr.slice(-3000)}`),
        );
      }
    });
  });
}

function verdict(record: RehearsalRecord, id: Verdict["id"]): Verdict {
  const found = record.verdicts.find((entry) => entry.id === id);
  if (found === undefined) throw new Error(`no ${id} verdict in ${JSON.stringify(record.verdicts)}`);
  return found;
}

/** The step list the root README prints for `from → to` (between its rehearse:steps markers). */
function readmeSteps(from: string, to: string): string[] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const start = `<!-- rehearse:steps ${from} ${to} -->`;
  const at = readme.indexOf(start);
  if (at === -1) return [];
  const block = readme.slice(at + start.length, readme.indexOf("<!-- /rehearse:steps -->", at));
  return block
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => /^\d+\. /.test(line));
}

/** Nothing secret in what a run prints: no API key, JWT, invitation code or admin secret. */
function expectNoSecrets(outcome: Outcome): void {
  const printed = outcome.narration + JSON.stringify(outcome.record);
  expect(printed).not.toMatch(/mcpk_[A-Za-z0-9]/);
  expect(printed).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
  expect(printed).not.toMatch(/\/invite#[A-Za-z0-9_-]/);
  for (const secret of Object.values(ADMIN_SECRET)) expect(printed).not.toContain(secret);
}

describe.each(PATHS.map((path) => [path.from, path.to] as const))("rehearse %s %s --quick", (from, to) => {
  it("passes every check, prints numbered steps with config diffs, and the root README lists those steps", async () => {
    const outcome = await rehearse(from, to, "--quick");
    const { record } = outcome;
    expect(record.error, outcome.narration.slice(-4000)).toBeUndefined();
    expect(outcome.code).toBe(0);
    expect(record.schema).toBe("mcp-auth-rehearse/1");
    expect(record.path).toEqual({ from, to });
    expect(record.verdicts.map((entry) => entry.id)).toEqual(["notes", "probe", "told", "revocation", "tooling"]);
    for (const entry of record.verdicts) expect(entry.ok, `${entry.label}: ${entry.detail}`).toBe(true);
    // Every step is numbered in order, and the steps where users change their client show a diff.
    expect(record.steps.map((step) => step.n)).toEqual(record.steps.map((_, i) => i + 1));
    const diffs = record.steps.flatMap((step) => step.configs);
    expect(diffs.length).toBeGreaterThan(0);
    expect(diffs.every((change) => /^[+-] /m.test(change.diff))).toBe(true);
    expect(new Set(diffs.map((change) => change.client))).toEqual(new Set(["Claude Desktop", "Cursor", "VS Code"]));
    // The probe asked after every step.
    expect(new Set(record.probes.map((probe) => probe.step)).size).toBe(record.steps.length);
    expect(readmeSteps(from, to)).toEqual(
      record.steps.map((step) => `${String(step.n)}. [${step.actor}] ${step.title}`),
    );
    expectNoSecrets(outcome);
  });
});

describe("broken on purpose: the rehearsal notices", () => {
  it("migration mode left on: the probe, the old client's answer and the cut-over each fail, saying what was seen", async () => {
    const outcome = await rehearse("no-auth", "token-validation", "--quick", "--sabotage", "leave-optional");
    const { record } = outcome;
    expect(outcome.code).toBe(1);
    expect(record.ok).toBe(false);
    expect(verdict(record, "notes").ok).toBe(true);
    const probe = verdict(record, "probe");
    expect(probe.ok).toBe(false);
    expect(probe.detail).toMatch(/step \d+: token-validation served it \(200 result/);
    const told = verdict(record, "told");
    expect(told.ok).toBe(false);
    expect(told.detail).toMatch(
      /old-laptop: expected 401 with a Bearer challenge and a message saying what to send, saw 200 result/,
    );
    const revocation = verdict(record, "revocation");
    expect(revocation.ok).toBe(false);
    expect(revocation.detail).toMatch(/a request without a credential after the flip: still accepted after 2000 ms/);
    expect(outcome.narration).toContain("Verdict: no-auth → token-validation — FAILED");
  });

  it("a note dropped in the move: the notes check names the note, whose it is and who cannot read it", async () => {
    const outcome = await rehearse("token-validation", "oauth-proxy", "--quick", "--sabotage", "drop-note");
    const { record } = outcome;
    expect(outcome.code).toBe(1);
    const notes = verdict(record, "notes");
    expect(notes.ok).toBe(false);
    expect(notes.detail).toMatch(/^note [0-9a-f]{16} \((ada|bob|cyd)'s, step \d+\) is not readable by (ada|bob|cyd)$/);
    // Everything else still holds: only the data check catches a lossy move.
    for (const id of ["probe", "told", "revocation"] as const) expect(verdict(record, id).ok).toBe(true);
  });

  it("a mapping missing a person: the run stops at the move naming them, and no notebook changed", async () => {
    const outcome = await rehearse("oauth-proxy", "full-oauth-provider", "--quick", "--sabotage", "missing-mapping");
    const { record } = outcome;
    expect(outcome.code).toBe(1);
    expect(record.error).toMatch(
      /^the mapping has no entry for upstream user ada \(oauth\|http%3A%2F%2F127\.0\.0\.1%3A\d+\|ada\): add one, then run the move again$/,
    );
    expect(record.steps.at(-1)?.title).toBe("carry each person's notes to their new account");
    const tooling = verdict(record, "tooling");
    expect(tooling.ok).toBe(true);
    expect(tooling.detail).toMatch(/the 4 notebooks involved are unchanged \(same digests\)/);
    expect(outcome.narration).toContain("stopped: the mapping has no entry for upstream user ada");
  });
});

// Exercise 03: a prepared change (start.patch) makes token-validation accept a JWT minted for any
// audience. The learner finds it with the attack suite and fixes it; the check runs the audience
// attack cases of the suite (token-validation's workerd tests, auth-common's JWT verifier tests)
// in fresh processes, each case with a control, and reports each as a criterion.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { lastLines, runCommand } from "../lib/command.ts";
import type { Criterion, Exercise, WorkshopContext } from "../lib/exercise.ts";
import { applyPatch, patchIsApplied, restoreFromHead } from "../lib/git.ts";

const START = join("workshop", "03-audience", "start.patch");
const SOLUTION = join("workshop", "03-audience", "solution.patch");
/** The file the prepared change touches; `solve` restores it. */
const VERIFIER = "packages/auth-common/src/jwt.ts";

/** One run of the suite: where, which file, which tests (a `-t` pattern). */
interface Suite {
  label: string;
  cwd: string;
  args: string[];
  /** The cases the check reports, by their full vitest name; `attack: false` is a control. */
  cases: { name: string; title: string; attack: boolean }[];
  /** Lines that must be in the test file as written (a weakened test would make the check pass). */
  pinned: { file: string; line: string }[];
}

const SUITES: Suite[] = [
  {
    label: "token-validation (workerd)",
    cwd: "apps/token-validation",
    args: [
      "--config",
      "vitest.workerd.config.ts",
      "test/bearer.test.ts",
      "-t",
      "for another audience|control for 'without exp'",
    ],
    cases: [
      {
        name: "bearer credentials: every bad one is refused with the status the spec asks for JWT for another audience (RFC 8707) → 401 invalid_token",
        title: "token-validation refuses a JWT minted for another audience (RFC 8707): 401 invalid_token",
        attack: true,
      },
      {
        name: "bearer credentials: every bad one is refused with the status the spec asks for JWT control for 'without exp': the same claims and signature plus an exp are accepted",
        title: "control: token-validation still accepts a JWT for its own audience",
        attack: false,
      },
    ],
    pinned: [
      {
        file: "apps/token-validation/test/bearer.test.ts",
        line: `["for another audience (RFC 8707)", async () => mintJwt({ aud: "https://other.example/mcp" }), /"aud" claim/],`,
      },
    ],
  },
  {
    label: "auth-common's JWT verifier",
    cwd: "packages/auth-common",
    args: ["test/jwt.test.ts", "-t", "rejects a (wrong|missing) aud|accepts a valid token and builds the identity"],
    cases: [
      {
        name: "verifyJwt with an HS256 secret rejects a wrong aud",
        title: "the verifier refuses a JWT with a wrong aud, naming the claim",
        attack: true,
      },
      {
        name: "verifyJwt with an HS256 secret rejects a missing aud",
        title: "the verifier refuses a JWT with no aud, naming the claim",
        attack: true,
      },
      {
        name: "verifyJwt with an HS256 secret accepts a valid token and builds the identity",
        title: "control: the verifier accepts a valid token",
        attack: false,
      },
    ],
    pinned: [
      {
        file: "packages/auth-common/test/jwt.test.ts",
        line: `["a missing aud", () => without(claims(), "aud"), \`The token's "aud" claim is not valid here (missing).\`],`,
      },
    ],
  },
];

interface VitestJson {
  testResults?: { assertionResults?: { fullName: string; status: string; failureMessages?: string[] }[] }[];
}

/** The first line of a failure, without the stack: what the learner reads first. */
const firstLine = (message: string | undefined) => (message ?? "").split("\n")[0]?.trim() ?? "";

async function runSuite(ctx: WorkshopContext, suite: Suite): Promise<Criterion[]> {
  const report = join(ctx.stateDir, `${suite.cwd.replaceAll("/", "-")}.json`);
  rmSync(report, { force: true });
  ctx.say(`running the audience attack cases of ${suite.label}…`);
  // A fresh process each time: the code under test is read as it is now, never from a cache.
  const vitest = join(ctx.root, suite.cwd, "node_modules", "vitest", "vitest.mjs");
  const result = await runCommand(
    process.execPath,
    [vitest, "run", ...suite.args, "--reporter=json", `--outputFile=${report}`],
    { cwd: join(ctx.root, suite.cwd) },
  );
  if (!existsSync(report)) {
    return [
      {
        name: `the attack cases of ${suite.label} run`,
        ok: false,
        detail: `vitest wrote no report (exit ${String(result.code)}): ${lastLines(result.tail)}`,
      },
    ];
  }
  const ran = ((JSON.parse(readFileSync(report, "utf8")) as VitestJson).testResults ?? []).flatMap(
    (file) => file.assertionResults ?? [],
  );
  const criteria: Criterion[] = [];
  for (const expected of suite.cases) {
    const seen = ran.find((test) => test.fullName === expected.name);
    const ok = seen?.status === "passed";
    criteria.push({
      name: expected.title,
      ok,
      detail:
        seen === undefined
          ? `the test "${expected.name}" did not run (renamed, removed or skipped?) — the check needs it as written in git`
          : ok
            ? `passed: ${expected.name}`
            : `${expected.attack ? "the attack got through" : "the control is refused (a fix that refuses every token is no fix)"}: ${firstLine(seen.failureMessages?.[0])} — ${expected.name}`,
    });
  }
  for (const { file, line } of suite.pinned) {
    const present = readFileSync(join(ctx.root, file), "utf8").includes(line);
    criteria.push({
      name: `the attack case in ${file} is as written in git`,
      ok: present,
      detail: present
        ? "unchanged"
        : `this line is missing or changed: ${line} — fix the code, not the test (workshop reset 03 restores it)`,
    });
  }
  return criteria;
}

const exercise: Exercise = {
  id: "03",
  slug: "audience",
  title: "Break audience validation: find the token that should not get in",
  minutes: 20, // an estimate, not yet measured with a newcomer (README, "For facilitators")
  files: [VERIFIER, "apps/token-validation/test/bearer.test.ts", "packages/auth-common/test/jwt.test.ts"],
  expectedStartFailure: "the attack got through: AssertionError: expected 200 to be 401",
  async start(ctx) {
    if (await patchIsApplied(ctx.root, START)) return;
    await applyPatch(ctx.root, START);
  },
  async check(ctx) {
    const criteria: Criterion[] = [];
    for (const suite of SUITES) criteria.push(...(await runSuite(ctx, suite)));
    return criteria;
  },
  async solve(ctx) {
    // The prepared change reversed; when the learner changed the file otherwise, git's version.
    if (await patchIsApplied(ctx.root, START)) await applyPatch(ctx.root, SOLUTION);
    else await restoreFromHead(ctx.root, [VERIFIER]);
  },
  async showSolution(ctx) {
    return [
      `The prepared change (${START}) dropped the audience from the options verifyJwt hands jose's`,
      "jwtVerify: jose then checks no `aud` at all, so any token signed with the right key and issuer",
      "gets in, whatever resource it was minted for (RFC 8707, RFC 9068 §4). The fix puts it back:",
      "",
      readFileSync(join(ctx.root, SOLUTION), "utf8"),
    ].join("\n");
  },
};

export default exercise;

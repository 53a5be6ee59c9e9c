// Exercise 05: revocation in practice. compare's revocation scenario revokes an API key, a user's
// token at the IdP and an OAuth grant, and polls each until it is refused; the learner reads how
// long each kept working from their own run and explains the difference. The check compares the
// answers with that run's results.json, so they cannot be given from memory.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import type { Criterion, Exercise, WorkshopContext } from "../lib/exercise.ts";

/** The columns whose revocation the exercise reads: a key, a JWT, a user's token at the IdP, a grant. */
export const COLUMNS = ["tv-api-key", "tv-jwt", "tv-introspection", "oauth-proxy"] as const;
type Column = (typeof COLUMNS)[number];
/** The columns with a revoke action: each has a figure in `revocations`. */
const REVOCABLE = ["tv-api-key", "tv-introspection", "oauth-proxy"] as const;

/** Why a credential keeps working after the operator's action, or does not: one letter per column. */
export const REASONS = {
  A: "checked in the server's own key store (D1 and the key's Durable Object): refused as soon as the revoke command has run",
  B: "the server caches the identity provider's answer about the token (RFC 7662): it works until the cache entry expires",
  C: "a signed, self-contained token the server checks alone (signature, iss, aud, exp): nothing reaches the server, it works until exp",
  D: "the grant is deleted from the authorization server's own store, which every access token and refresh token is checked against: refused as soon as the command has run",
} as const;
type Reason = keyof typeof REASONS;
const EXPECTED: Record<Column, Reason> = {
  "tv-api-key": "A",
  "tv-jwt": "C",
  "tv-introspection": "B",
  "oauth-proxy": "D",
};

/** The answers file the learner fills in (`workshop start 05` writes this template). */
interface Answers {
  resultsJson: string;
  refusedAfterMs: Record<string, number | null>;
  keptWorkingLongest: string;
  why: Record<string, string>;
}

const TEMPLATE: Answers = {
  resultsJson: "",
  refusedAfterMs: { "tv-api-key": null, "tv-introspection": null, "oauth-proxy": null },
  keptWorkingLongest: "",
  why: { "tv-api-key": "", "tv-jwt": "", "tv-introspection": "", "oauth-proxy": "" },
};

/** The part of compare's results.json (schema mcp-auth-compare/1) the check reads. */
interface CompareResults {
  schema: string;
  settings: { only?: string[] | null };
  columns: { id: string }[];
  revocations: { column: string; action: string; ms: number | null; waitedMs: number }[];
}

const answersPath = (ctx: WorkshopContext) => join(ctx.stateDir, "answers.json");
const shown = (ctx: WorkshopContext, path: string) => relative(ctx.root, path);
const COMPARE_ARGS = ["--quick", "--only", COLUMNS.join(",")];

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, "utf8")) as unknown;
}

/** The figure as the report prints it, or "still accepted". */
function figure(ms: number | null): string {
  return ms === null ? "still accepted at the end of the wait" : `${String(Math.round(ms))} ms`;
}

/** The revoked column that kept working longest (null = for the whole wait); the first on a tie. */
function longestOf(ms: (id: string) => number | null): (typeof REVOCABLE)[number] {
  return REVOCABLE.reduce((a, b) => ((ms(b) ?? Infinity) > (ms(a) ?? Infinity) ? b : a));
}

async function check(ctx: WorkshopContext): Promise<Criterion[]> {
  const file = answersPath(ctx);
  if (!existsSync(file)) {
    return [
      { name: "answers file", ok: false, detail: `no ${shown(ctx, file)}: run \`workshop start 05\` to create it` },
    ];
  }
  let answers: Answers;
  try {
    answers = { ...TEMPLATE, ...(readJson(file) as Partial<Answers>) };
  } catch (error) {
    return [{ name: "answers file", ok: false, detail: `${shown(ctx, file)} is not JSON: ${String(error)}` }];
  }

  // 1. The run the answers come from.
  if (typeof answers.resultsJson !== "string" || answers.resultsJson === "") {
    return [
      {
        name: "your compare run",
        ok: false,
        detail: `no compare run named yet: run \`npx -y pnpm@10.34.9 compare ${COMPARE_ARGS.join(" ")} --out workshop/.state/05/compare\` and put its results.json path in "resultsJson"`,
      },
    ];
  }
  const resultsPath = isAbsolute(answers.resultsJson) ? answers.resultsJson : join(ctx.root, answers.resultsJson);
  let results: CompareResults;
  try {
    results = readJson(resultsPath) as CompareResults;
  } catch (error) {
    return [{ name: "your compare run", ok: false, detail: `cannot read ${answers.resultsJson}: ${String(error)}` }];
  }
  const missing = COLUMNS.filter((id) => !results.columns.some((column) => column.id === id));
  const unmeasured = REVOCABLE.filter((id) => !results.revocations.some((r) => r.column === id));
  const runOk = results.schema === "mcp-auth-compare/1" && missing.length === 0 && unmeasured.length === 0;
  const criteria: Criterion[] = [
    {
      name: "your compare run",
      ok: runOk,
      detail: runOk
        ? `${answers.resultsJson}: ${results.revocations.length} revocations measured`
        : results.schema !== "mcp-auth-compare/1"
          ? `${answers.resultsJson} is not a compare results.json (schema ${results.schema})`
          : `${answers.resultsJson} lacks ${[...missing, ...unmeasured.filter((id) => !missing.includes(id))].join(", ")}: run with --only ${COLUMNS.join(",")}`,
    },
  ];
  if (!runOk) return criteria;
  const measured = new Map(results.revocations.map((r) => [r.column, r]));

  // 2. The figures, as the run's matrix prints them (rounded ms; null where it was still accepted).
  const wrong = REVOCABLE.filter((id) => {
    const truth = measured.get(id)?.ms ?? null;
    const given = answers.refusedAfterMs[id];
    if (truth === null) return given !== null;
    return typeof given !== "number" || Math.abs(given - truth) > 1;
  });
  criteria.push({
    name: "the figures of your run",
    ok: wrong.length === 0,
    detail:
      wrong.length === 0
        ? REVOCABLE.map((id) => `${id} ${figure(measured.get(id)?.ms ?? null)}`).join(", ")
        : `"refusedAfterMs" of ${wrong.join(", ")} differ from your run: read the "revoke → first refused request" row of its index.html or matrix.md (null where it says still accepted)`,
  });

  // 3. Which revoked credential kept working longest (null = for the whole wait).
  const longest = longestOf((id) => measured.get(id)?.ms ?? null);
  criteria.push({
    name: "kept working longest after its revoke",
    ok: answers.keptWorkingLongest === longest,
    detail:
      answers.keptWorkingLongest === longest
        ? `${longest}: ${figure(measured.get(longest)?.ms ?? null)} (${measured.get(longest)?.action ?? ""})`
        : answers.keptWorkingLongest === "tv-jwt"
          ? "tv-jwt has no revoke action at all (its cell says n/a): name the longest of those your run revoked"
          : `"keptWorkingLongest" is "${answers.keptWorkingLongest}": compare the three figures of your run`,
  });

  // 4. The explanation: one reason letter per column.
  const unexplained = COLUMNS.filter((id) => (answers.why[id] ?? "").trim().toUpperCase() !== EXPECTED[id]);
  criteria.push({
    name: "why each behaves as it does",
    ok: unexplained.length === 0,
    detail:
      unexplained.length === 0
        ? COLUMNS.map((id) => `${id}: ${EXPECTED[id]}`).join(", ")
        : `not yet right: ${unexplained.join(", ")} (see the reasons A–D in the exercise README; the app READMEs say how each credential is checked)`,
  });
  return criteria;
}

/** Runs compare on the four columns into `.state/05/compare`; its results.json path. */
function runCompare(ctx: WorkshopContext): string {
  const out = join(ctx.stateDir, "compare");
  ctx.say(`npx -y pnpm@10.34.9 compare ${COMPARE_ARGS.join(" ")} --out ${shown(ctx, out)} (about 3–4 minutes)`);
  execFileSync(process.execPath, [join(ctx.root, "compare", "run.ts"), ...COMPARE_ARGS, "--out", out], {
    cwd: ctx.root,
    stdio: ["ignore", "ignore", "inherit"],
  });
  return join(out, "results.json");
}

const exercise: Exercise = {
  id: "05",
  slug: "revocation",
  title: "Revocation in practice: a key, a user's token, a grant",
  minutes: 20,
  files: [],
  start(ctx) {
    mkdirSync(ctx.stateDir, { recursive: true });
    if (!existsSync(answersPath(ctx))) writeFileSync(answersPath(ctx), `${JSON.stringify(TEMPLATE, null, 2)}\n`);
    return Promise.resolve();
  },
  check,
  solve(ctx) {
    mkdirSync(ctx.stateDir, { recursive: true });
    const resultsPath = runCompare(ctx);
    const results = readJson(resultsPath) as CompareResults;
    const ms = (id: string) => {
      const value = results.revocations.find((r) => r.column === id)?.ms ?? null;
      return value === null ? null : Math.round(value);
    };
    const longest = longestOf(ms);
    const answers: Answers = {
      resultsJson: shown(ctx, resultsPath),
      refusedAfterMs: Object.fromEntries(REVOCABLE.map((id) => [id, ms(id)])),
      keptWorkingLongest: longest,
      why: { ...EXPECTED },
    };
    writeFileSync(answersPath(ctx), `${JSON.stringify(answers, null, 2)}\n`);
    return Promise.resolve();
  },
  showSolution() {
    return Promise.resolve(
      [
        `1. npx -y pnpm@10.34.9 compare ${COMPARE_ARGS.join(" ")} --out workshop/.state/05/compare`,
        '2. In workshop/.state/05/answers.json: "resultsJson": "workshop/.state/05/compare/results.json";',
        '   "refusedAfterMs": the "revoke → first refused request" row of that run (rounded ms);',
        '   "keptWorkingLongest": the largest of the three (tv-introspection: its 30 s introspection cache);',
        `   "why": ${COLUMNS.map((id) => `${id} ${EXPECTED[id]}`).join(", ")}.`,
        "",
        ...Object.entries(REASONS).map(([letter, text]) => `   ${letter}: ${text}`),
      ].join("\n"),
    );
  },
  expectedStartFailure: "no compare run named yet",
};

export default exercise;

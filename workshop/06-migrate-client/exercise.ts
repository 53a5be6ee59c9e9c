// Exercise 06: migrate a client. `rehearse no-auth token-validation --pause` moves a no-auth server
// to API keys with real clients and real notes; during two of its pauses the learner calls the
// server as an old client nobody updated and writes down what it was told. The check reads the
// rehearsal's own JSON record: its verdicts, and the same answers seen by its laggard client.
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { Criterion, Exercise, WorkshopContext } from "../lib/exercise.ts";

/** The rehearsal's steps during whose pause the learner makes their own call. */
export const MIGRATION_STEP = "old clients, config unchanged, keep working and are told a credential will be required";
export const REFUSED_STEP = "a client nobody updated is refused with a challenge it can act on";
const PROMPT = "(Enter for the next step)";
const REHEARSE_ARGS = ["no-auth", "token-validation", "--quick", "--pause", "--json"];

/** What the learner writes down (`workshop start 06` creates this template). */
interface Answers {
  origin: string;
  migrationMode: { status: number | null; deprecation: string; sunset: string };
  afterFlip: { status: number | null; wwwAuthenticate: string };
}

const TEMPLATE: Answers = {
  origin: "",
  migrationMode: { status: null, deprecation: "", sunset: "" },
  afterFlip: { status: null, wwwAuthenticate: "" },
};

/** The part of rehearse's `--json` record (schema mcp-auth-rehearse/1) the check reads. */
interface RehearsalRecord {
  schema: string;
  path: { from: string; to: string };
  finishedAt?: string;
  steps: { n: number; title: string; lines: string[] }[];
  verdicts: { id: string; label: string; ok: boolean; detail: string }[];
  ok: boolean;
  error?: string;
}

const recordPath = (ctx: WorkshopContext) => join(ctx.stateDir, "rehearsal.json");
const answersPath = (ctx: WorkshopContext) => join(ctx.stateDir, "answers.json");
const shown = (ctx: WorkshopContext, path: string) => relative(ctx.root, path);

/** What the record says the old clients saw: the address, the Deprecation and Sunset headers, the final challenge. */
function seenInRecord(record: RehearsalRecord): {
  origin?: string;
  deprecation?: string;
  sunset?: string;
  challenge?: string;
} {
  const lines = record.steps.flatMap((step) => step.lines.map((line) => ({ title: step.title, line })));
  const origin = lines
    .map(({ line }) => /now answers at (http:\/\/\S+)\/mcp/.exec(line)?.[1])
    .find((value) => value !== undefined);
  const deprecation = lines
    .filter(({ title }) => title === MIGRATION_STEP)
    .map(({ line }) => /Deprecation: ([^;]+);/.exec(line)?.[1])
    .find((value) => value !== undefined && value !== "(none)");
  const sunset = lines
    .filter(({ title }) => title === MIGRATION_STEP)
    .map(({ line }) => /Sunset: ([^;]+);/.exec(line)?.[1])
    .find((value) => value !== undefined && value !== "(none)");
  const challenge = lines
    .filter(({ title }) => title === REFUSED_STEP)
    .map(({ line }) => /WWW-Authenticate: (.+)$/.exec(line)?.[1])
    .find((value) => value !== undefined);
  return {
    ...(origin === undefined ? {} : { origin }),
    ...(deprecation === undefined ? {} : { deprecation: deprecation.trim() }),
    ...(sunset === undefined ? {} : { sunset: sunset.trim() }),
    ...(challenge === undefined ? {} : { challenge: challenge.trim() }),
  };
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, "utf8")) as unknown;
}

async function check(ctx: WorkshopContext): Promise<Criterion[]> {
  const file = recordPath(ctx);
  const command = `npx -y pnpm@10.34.9 -s rehearse ${REHEARSE_ARGS.join(" ")} > ${shown(ctx, file)}`;
  if (!existsSync(file)) {
    return [{ name: "your rehearsal record", ok: false, detail: `no rehearsal record yet: run \`${command}\`` }];
  }
  let record: RehearsalRecord;
  try {
    // Without pnpm's -s, its "> mcp-auth-workers@ rehearse" banner precedes the record on stdout.
    const text = readFileSync(file, "utf8").replace(/^(?:\s*\n|>[^\n]*\n)*/, "");
    record = JSON.parse(text) as RehearsalRecord;
  } catch {
    return [
      {
        name: "your rehearsal record",
        ok: false,
        detail: `${shown(ctx, file)} is not the JSON record: only stdout goes there (\`--json\`; the narration is on stderr)`,
      },
    ];
  }
  const complete =
    record.schema === "mcp-auth-rehearse/1" &&
    record.path.from === "no-auth" &&
    record.path.to === "token-validation" &&
    record.finishedAt !== undefined;
  const criteria: Criterion[] = [
    {
      name: "your rehearsal record",
      ok: complete && record.error === undefined,
      detail: !complete
        ? `${shown(ctx, file)} is not a finished no-auth → token-validation rehearsal: run \`${command}\``
        : record.error === undefined
          ? `${String(record.steps.length)} steps, finished ${record.finishedAt ?? ""}`
          : `the rehearsal stopped: ${record.error.split("\n")[0] ?? ""}`,
    },
  ];
  if (!complete) return criteria;
  for (const [id, name] of [
    ["notes", "no note lost"],
    ["told", "old clients were told what to do"],
  ] as const) {
    const verdict = record.verdicts.find((entry) => entry.id === id);
    criteria.push({
      name,
      ok: verdict?.ok === true,
      detail: verdict === undefined ? "the record has no such verdict (the run stopped early?)" : verdict.detail,
    });
  }

  const seen = seenInRecord(record);
  let answers: Answers;
  try {
    const given = readJson(answersPath(ctx)) as Partial<Answers>;
    answers = {
      origin: typeof given.origin === "string" ? given.origin : "",
      migrationMode: { ...TEMPLATE.migrationMode, ...given.migrationMode },
      afterFlip: { ...TEMPLATE.afterFlip, ...given.afterFlip },
    };
  } catch {
    criteria.push({
      name: "your answers",
      ok: false,
      detail: `cannot read ${shown(ctx, answersPath(ctx))}: run \`workshop start 06\` to create it`,
    });
    return criteria;
  }
  const origin = answers.origin.replace(/\/mcp$/, "").replace(/\/$/, "");
  criteria.push({
    name: "the address your client used",
    ok: seen.origin !== undefined && origin === seen.origin,
    detail:
      seen.origin === undefined
        ? "the record names no address (the run stopped before the cut-over?)"
        : origin === seen.origin
          ? `${seen.origin}/mcp, no-auth's address, now served by token-validation`
          : `"origin" is "${answers.origin}": the rehearsal printed the address every client has ("token-validation now answers at …")`,
  });
  const sunsetOk =
    answers.migrationMode.status === 200 &&
    answers.migrationMode.sunset.trim() === seen.sunset &&
    answers.migrationMode.deprecation.trim() === seen.deprecation;
  criteria.push({
    name: "your old client in migration mode",
    ok: sunsetOk,
    detail: sunsetOk
      ? `200 with Deprecation: ${seen.deprecation ?? ""} and Sunset: ${seen.sunset ?? ""}, as the rehearsal's clients saw`
      : answers.migrationMode.status !== 200
        ? `"migrationMode.status" is ${String(answers.migrationMode.status)}: call the server without a credential during the pause after "${MIGRATION_STEP}"`
        : answers.migrationMode.deprecation.trim() !== seen.deprecation
          ? `"migrationMode.deprecation" is "${answers.migrationMode.deprecation}", not the Deprecation header of this run's answers`
          : `"migrationMode.sunset" is "${answers.migrationMode.sunset}", not the Sunset header of this run's answers`,
  });
  const challengeOk =
    answers.afterFlip.status === 401 && answers.afterFlip.wwwAuthenticate.trim() === (seen.challenge ?? "\0");
  criteria.push({
    name: "your old client after the flip",
    ok: challengeOk,
    detail: challengeOk
      ? `401 with WWW-Authenticate: ${seen.challenge ?? ""}`
      : answers.afterFlip.status !== 401
        ? `"afterFlip.status" is ${String(answers.afterFlip.status)}: call again during the pause after "${REFUSED_STEP}"`
        : `"afterFlip.wwwAuthenticate" is "${answers.afterFlip.wwwAuthenticate}", not the challenge this run's server sent`,
  });
  return criteria;
}

/** The old client nobody updated: notes_list without a credential, its status and headers. */
async function oldClientCall(origin: string): Promise<Response> {
  return fetch(`${origin}/mcp`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "notes_list", arguments: {} },
    }),
  });
}

/**
 * The reference solution: runs the rehearsal with `--pause`, makes the learner's two calls during
 * the pauses after the migration-mode and refusal steps, presses Enter at every pause.
 */
async function solve(ctx: WorkshopContext): Promise<void> {
  mkdirSync(ctx.stateDir, { recursive: true });
  ctx.say(`npx -y pnpm@10.34.9 rehearse ${REHEARSE_ARGS.join(" ")} (about a minute)`);
  const child = spawn(process.execPath, [join(ctx.root, "rehearse", "run.ts"), ...REHEARSE_ARGS], {
    cwd: ctx.root,
    stdio: ["pipe", "pipe", "pipe"],
  });
  const out = createWriteStream(recordPath(ctx));
  child.stdout.pipe(out);
  const answers: Answers = structuredClone(TEMPLATE);
  let title = "";
  let pending = Promise.resolve();
  // The prompt has no newline: read stderr in chunks, and lines for the step titles and address.
  let partial = "";
  child.stderr.on("data", (chunk: Buffer) => {
    partial += chunk.toString("utf8");
    const lines = partial.split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      const step = /^\s*\d+\. \[\w+\] (.+)$/.exec(line);
      if (step?.[1] !== undefined) title = step[1];
      const origin = /now answers at (http:\/\/\S+)\/mcp/.exec(line)?.[1];
      if (origin !== undefined) answers.origin = origin;
    }
    if (!partial.includes(PROMPT)) return;
    partial = "";
    const at = title;
    pending = pending.then(async () => {
      if (at === MIGRATION_STEP) {
        const answer = await oldClientCall(answers.origin);
        answers.migrationMode = {
          status: answer.status,
          deprecation: answer.headers.get("deprecation") ?? "",
          sunset: answer.headers.get("sunset") ?? "",
        };
      } else if (at === REFUSED_STEP) {
        const answer = await oldClientCall(answers.origin);
        answers.afterFlip = { status: answer.status, wwwAuthenticate: answer.headers.get("www-authenticate") ?? "" };
      }
      child.stdin.write("\n");
    });
  });
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  await pending;
  await new Promise<void>((resolve) => out.end(resolve));
  if (code !== 0) throw new Error(`rehearse exited with ${String(code)}: see ${shown(ctx, recordPath(ctx))}`);
  writeFileSync(answersPath(ctx), `${JSON.stringify(answers, null, 2)}\n`);
}

const exercise: Exercise = {
  id: "06",
  slug: "migrate-client",
  title: "Migrate a client: no-auth to API keys, as the old client",
  minutes: 25,
  files: [],
  start(ctx) {
    mkdirSync(ctx.stateDir, { recursive: true });
    if (!existsSync(answersPath(ctx))) writeFileSync(answersPath(ctx), `${JSON.stringify(TEMPLATE, null, 2)}\n`);
    return Promise.resolve();
  },
  check,
  solve,
  showSolution() {
    return Promise.resolve(
      [
        `1. npx -y pnpm@10.34.9 -s rehearse ${REHEARSE_ARGS.join(" ")} > workshop/.state/06/rehearsal.json`,
        '2. Note the address it prints ("token-validation now answers at http://localhost:PORT/mcp") as "origin".',
        `3. At the pause after "${MIGRATION_STEP}", call it as an old client:`,
        "     curl -si -X POST http://localhost:PORT/mcp -H 'content-type: application/json' \\",
        "       -H 'accept: application/json, text/event-stream' \\",
        '       -d \'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"notes_list","arguments":{}}}\'',
        '   and write the status (200) and the Deprecation and Sunset headers into "migrationMode".',
        `4. At the pause after "${REFUSED_STEP}", the same call: the status (401) and the`,
        '   WWW-Authenticate header into "afterFlip". Press Enter to the end.',
        "`workshop solve 06` does exactly this with fetch() instead of curl.",
      ].join("\n"),
    );
  },
  expectedStartFailure: "no rehearsal record yet",
};

export default exercise;

// Exercise 01: an MCP client on no-auth, then on token-validation with an API key of your own; the
// check finds the note you wrote with that key in that key's tenant, through the app itself.
import { wranglerEnv } from "@mcp-auth/dev-harness";
import { SELF_ISSUER, tenantKey } from "@mcp-auth/identity";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { lastLines, runCommand, type CommandResult } from "../lib/command.ts";
import { callTool } from "../lib/client.ts";
import type { Criterion, Exercise, WorkshopContext } from "../lib/exercise.ts";

const DIR = "workshop/01-first-call";
const ANSWERS = `${DIR}/answers.json`;
/** What solve writes with its key: any text of the learner's own does as well. */
const SOLUTION_NOTE = "my first authenticated note";
const SOLUTION_OWNER = "workshop-01";

/**
 * The token-validation the check reads: the learner's `pnpm dev` (http://localhost:8788, its local
 * state, the admin secret from its .dev.vars) unless WORKSHOP_TV_URL names another one, with
 * WORKSHOP_TV_STATE its --persist-to directory and NOTES_ADMIN_SECRET its admin secret (the CI
 * test's own copy; a facilitator's).
 */
function target(): { origin: string; state: string | undefined } {
  return {
    origin: process.env["WORKSHOP_TV_URL"]?.replace(/\/+$/, "") || "http://localhost:8788",
    state: process.env["WORKSHOP_TV_STATE"] || undefined,
  };
}

/** `npm run keys -- args --json` against the target's local state. */
function keysCli(root: string, args: string[]): Promise<CommandResult> {
  const { state } = target();
  const persist = state === undefined ? [] : ["--persist-to", state];
  return runCommand(
    process.execPath,
    [join(root, "apps/token-validation/scripts/keys.ts"), ...args, "--json", ...persist],
    {
      cwd: join(root, "apps/token-validation"),
      env: wranglerEnv() as Record<string, string>,
    },
  );
}

/** `npm run notes -- export` of `tenant` from the target: the notes' texts. */
async function notesOf(root: string, tenant: string): Promise<{ texts: string[] } | { error: string }> {
  const where = process.env["WORKSHOP_TV_URL"] ? ["--url", target().origin] : ["--app", "token-validation"];
  const result = await runCommand(process.execPath, [
    join(root, "scripts/notes.ts"),
    "export",
    ...where,
    "--tenant",
    tenant,
  ]);
  if (result.code !== 0) return { error: lastLines(result.tail) };
  const texts = result.stdout
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => String((JSON.parse(line) as { text: unknown }).text));
  return { texts };
}

interface Answers {
  keyId: string;
  note: string;
}

/** The answers file read and judged: the answers, or why they cannot be used. */
function readAnswers(root: string): { answers: Answers } | { why: string } {
  const file = join(root, ANSWERS);
  if (!existsSync(file)) {
    return {
      why: `${ANSWERS} does not exist: create it (step 5 of the README) with your key's ID and your note's text`,
    };
  }
  const text = readFileSync(file, "utf8");
  // The key itself must never be written down where it can be committed or shown: only its ID.
  if (/mcpk_/.test(text))
    return { why: `${ANSWERS} holds an API key (mcpk_…): keep only its ID (key_…), never the key` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { why: `${ANSWERS} is not JSON (${(error as Error).message}): copy the template in the README` };
  }
  const { keyId, note } = (parsed ?? {}) as Record<string, unknown>;
  if (typeof keyId !== "string" || !/^key_[a-z0-9]{10}$/.test(keyId)) {
    return { why: `"keyId" in ${ANSWERS} must be the ID \`keys create\` printed, like key_3fj9a0c2kq` };
  }
  if (typeof note !== "string" || note.trim() === "") {
    return { why: `"note" in ${ANSWERS} must be the text of the note you wrote with that key` };
  }
  return { answers: { keyId, note } };
}

async function check(ctx: WorkshopContext): Promise<Criterion[]> {
  const criteria: Criterion[] = [];
  const read = readAnswers(ctx.root);
  criteria.push(
    "why" in read
      ? { name: "answers file", ok: false, detail: read.why }
      : {
          name: "answers file",
          ok: true,
          detail: `key ${read.answers.keyId}, note "${read.answers.note}" (no key in it)`,
        },
  );
  const { origin } = target();
  // Any answer below 500 is the app serving; a refused connection is nothing running there.
  const up = await fetch(`${origin}/`).then(
    (answer) => answer.status < 500,
    () => false,
  );
  criteria.push(
    up
      ? { name: "token-validation is running", ok: true, detail: `${origin} answers` }
      : {
          name: "token-validation is running",
          ok: false,
          detail: `nothing answers at ${origin}: start the apps with \`npx -y pnpm@10.34.9 dev\` (step 1) and leave it running`,
        },
  );
  if ("why" in read || !up) {
    const missing = "why" in read ? "the key ID from the answers file" : "token-validation running";
    criteria.push(
      { name: "the key is active", ok: false, detail: `needs ${missing}` },
      { name: "your note is in your key's tenant", ok: false, detail: `needs ${missing}` },
    );
    return criteria;
  }
  const { keyId, note } = read.answers;
  const listed = await keysCli(ctx.root, ["list"]);
  if (listed.code !== 0) {
    criteria.push({
      name: "the key is active",
      ok: false,
      detail: `\`npm run keys -- list\` failed: ${lastLines(listed.tail)}`,
    });
    return criteria;
  }
  const keys = JSON.parse(listed.stdout) as {
    id: string;
    owner: string;
    scopes: string;
    revoked_at: number | null;
    expires_at: number | null;
  }[];
  const key = keys.find((candidate) => candidate.id === keyId);
  if (key === undefined || key.revoked_at !== null || (key.expires_at !== null && key.expires_at <= Date.now())) {
    criteria.push({
      name: "the key is active",
      ok: false,
      detail:
        key === undefined
          ? `no key ${keyId} in this token-validation (\`npm run keys -- list\` shows its keys): create one (step 3) and put its ID in the answers file`
          : `${keyId} is ${key.revoked_at !== null ? "revoked" : "expired"}: create a new key (step 3), write the note again with it, update the answers file`,
    });
    criteria.push({ name: "your note is in your key's tenant", ok: false, detail: "needs an active key" });
    return criteria;
  }
  criteria.push({ name: "the key is active", ok: true, detail: `${keyId}, owner ${key.owner}, scopes ${key.scopes}` });
  // A key's caller is the tenant api_key|self|<owner> (packages/identity): where its notes live.
  const tenant = tenantKey({ method: "api_key", issuer: SELF_ISSUER, subject: key.owner });
  const notes = await notesOf(ctx.root, tenant);
  if ("error" in notes) {
    criteria.push({
      name: "your note is in your key's tenant",
      ok: false,
      detail: `reading the tenant's notes failed: ${notes.error}`,
    });
  } else if (!notes.texts.includes(note)) {
    criteria.push({
      name: "your note is in your key's tenant",
      ok: false,
      detail:
        notes.texts.length === 0
          ? `tenant ${tenant} has no notes: write one with notes_add, sending the key (step 4); a note written on no-auth or without the key lands in another tenant`
          : `tenant ${tenant} has ${notes.texts.length} note(s), none with the text "${note}": copy the text exactly into the answers file`,
    });
  } else {
    criteria.push({
      name: "your note is in your key's tenant",
      ok: true,
      detail: `"${note}" is among the ${notes.texts.length} note(s) of ${tenant}`,
    });
  }
  return criteria;
}

const exercise: Exercise = {
  id: "01",
  slug: "first-call",
  title: "Your first authenticated call",
  minutes: 15,
  files: [ANSWERS],
  check,
  async solve(ctx) {
    const { origin } = target();
    ctx.say(`npm run keys -- create --owner ${SOLUTION_OWNER} --scopes "notes:read notes:write"`);
    const created = await keysCli(ctx.root, [
      "create",
      "--owner",
      SOLUTION_OWNER,
      "--scopes",
      "notes:read notes:write",
    ]);
    if (created.code !== 0)
      throw new Error(
        `keys create failed (is token-validation's dev state there? run pnpm dev first): ${lastLines(created.tail)}`,
      );
    const { id, key } = JSON.parse(created.stdout) as { id: string; key: string };
    ctx.say(`notes_add at ${origin}/mcp with Authorization: Bearer <the key>`);
    const written = await callTool(`${origin}/mcp`, "notes_add", { text: SOLUTION_NOTE }, { bearer: key });
    if (!written.ok || written.result.isError === true) {
      throw new Error(`notes_add with the new key failed: ${written.ok ? written.text : written.error}`);
    }
    writeFileSync(join(ctx.root, ANSWERS), `${JSON.stringify({ keyId: id, note: SOLUTION_NOTE }, null, 2)}\n`);
    ctx.say(`wrote ${ANSWERS} (the key's ID, never the key)`);
  },
  async showSolution() {
    return [
      "1. npx -y pnpm@10.34.9 dev                       (another terminal; leave it running)",
      `2. npm run keys -- create --owner ${SOLUTION_OWNER} --scopes "notes:read notes:write"`,
      "     prints the key ID (key_…) and the key (mcpk_…) once",
      "3. export MCP_BEARER=mcpk_…                      (the key it printed)",
      `4. npx -y pnpm@10.34.9 workshop call http://localhost:8788/mcp notes_add '{"text":"${SOLUTION_NOTE}"}'`,
      `5. ${ANSWERS}: {"keyId": "key_…", "note": "${SOLUTION_NOTE}"}   (the ID, never the key)`,
    ].join("\n");
  },
  expectedStartFailure: "answers.json does not exist",
};

export default exercise;

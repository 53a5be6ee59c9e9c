import { runToCompletion, serveOnLoopback, startWranglerDev, type WranglerDev } from "@mcp-auth/dev-harness";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { parseEnv } from "node:util";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APPS, resolveTarget } from "../../../scripts/notes.ts";

// `npm run notes` (scripts/notes.ts) as an operator runs it, against this app under `wrangler dev`
// with NOTES_ADMIN_SECRET set: tenant keys, import, export and a move by mapping, rerun, refused
// mappings, and the errors an operator meets (wrong secret, route off, server down). The
// anonymous tenant's notes are written by a real MCP caller; the other tenants' by the CLI.

const ROOT = join(import.meta.dirname, "..", "..", "..");
const SECRET = "e2e-notes-admin-secret-no-auth-0123456789";
const ANONYMOUS = "anonymous|self|anonymous";
const ALICE = "api_key|self|alice";
const BOB = "jwt|https%3A%2F%2Fidp.example.com|bob";
const BOB_NEW = "oauth|https%3A%2F%2Fmcp.example.com|bob";

let dev: WranglerDev;
let files: string;

beforeAll(async () => {
  dev = await startWranglerDev({ cwd: join(import.meta.dirname, ".."), vars: { NOTES_ADMIN_SECRET: SECRET } });
  files = mkdtempSync(join(tmpdir(), "notes-cli-"));
}, 240_000);

afterAll(async () => {
  await dev.stop();
  rmSync(files, { recursive: true, force: true });
});

/** `node scripts/notes.ts …` from the repository root; the secret for --url in the environment. */
async function notes(args: string[], env: Record<string, string> = {}) {
  const run = await runToCompletion(process.execPath, ["scripts/notes.ts", ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      NOTES_ADMIN_SECRET: SECRET,
      NOTES_ADMIN_SECRET_FROM: SECRET,
      NOTES_ADMIN_SECRET_TO: SECRET,
      ...env,
    },
  });
  return { code: run.code, stdout: run.stdout, output: run.tail };
}

/** A tenant's notes as NDJSON, through the CLI. */
async function exported(tenant: string): Promise<string> {
  const out = join(files, `export-${Math.random().toString(36).slice(2)}.ndjson`);
  const run = await notes(["export", "--url", dev.origin, "--tenant", tenant, "--out", out, "--json"]);
  expect(run.code, run.output).toBe(0);
  return readFileSync(out, "utf8");
}

function file(name: string, content: string): string {
  const path = join(files, name);
  writeFileSync(path, content);
  return path;
}

/** notes_add as the anonymous caller, over MCP. */
async function addAnonymousNote(text: string): Promise<void> {
  const response = await fetch(`${dev.origin}/mcp`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2025-06-18",
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "notes_add", arguments: { text } },
    }),
  });
  expect(response.status).toBe(200);
  expect(await response.text()).toContain(text);
}

const moveArgs = (mapping: string, ...extra: string[]) => [
  "move",
  "--from-url",
  dev.origin,
  "--to-url",
  dev.origin,
  "--mapping",
  mapping,
  "--json",
  ...extra,
];

describe("npm run notes", () => {
  it("tenant prints the key a caller's notes live under, and refuses an unknown method (exit 2)", async () => {
    const key = await notes(["tenant", "--method", "jwt", "--issuer", "https://idp.example.com", "--subject", "bob"]);
    expect(key).toMatchObject({ code: 0, stdout: `${BOB}\n` });
    const bad = await notes(["tenant", "--method", "password", "--issuer", "x", "--subject", "y"]);
    expect(bad.code).toBe(2);
    expect(bad.output).toContain("--method is one of anonymous, api_key, jwt, access, introspection, mtls, oauth");
  });

  it("move: a dry run changes nothing; the move copies every note (createdAt kept) and clears the sources; a rerun adds nothing", async () => {
    await addAnonymousNote("written over MCP, one");
    await addAnonymousNote("written over MCP, two");
    const bobNotes = '{"text":"bob\'s note","createdAt":"2024-05-06T07:08:09.010Z"}\n';
    const imported = await notes([
      "import",
      "--url",
      dev.origin,
      "--tenant",
      BOB,
      "--file",
      file("bob.ndjson", bobNotes),
      "--json",
    ]);
    expect(imported.code, imported.output).toBe(0);
    expect(JSON.parse(imported.stdout)).toEqual({
      origin: dev.origin,
      tenant: BOB,
      received: 1,
      added: 1,
      alreadyPresent: 0,
      dryRun: false,
    });
    const anonymousBefore = await exported(ANONYMOUS);
    expect(anonymousBefore.trim().split("\n")).toHaveLength(2);
    const mapping = file(
      "mapping.json",
      JSON.stringify({
        moves: [
          { from: ANONYMOUS, to: ALICE },
          { from: BOB, to: BOB_NEW },
        ],
      }),
    );

    const planned = await notes(moveArgs(mapping, "--dry-run"));
    expect(planned.code, planned.output).toBe(0);
    expect(JSON.parse(planned.stdout)).toMatchObject({
      ok: true,
      dryRun: true,
      moves: [
        { from: ANONYMOUS, to: ALICE, status: "planned", exported: 2, added: 2, alreadyPresent: 0, removed: null },
        { from: BOB, to: BOB_NEW, status: "planned", exported: 1, added: 1, alreadyPresent: 0, removed: null },
      ],
    });
    expect(await exported(ALICE)).toBe("");
    expect(await exported(ANONYMOUS)).toBe(anonymousBefore);

    const moved = await notes(moveArgs(mapping));
    expect(moved.code, moved.output).toBe(0);
    expect(JSON.parse(moved.stdout)).toEqual({
      ok: true,
      dryRun: false,
      keepSource: false,
      from: dev.origin,
      to: dev.origin,
      moves: [
        { from: ANONYMOUS, to: ALICE, status: "moved", exported: 2, added: 2, alreadyPresent: 0, removed: 2 },
        { from: BOB, to: BOB_NEW, status: "moved", exported: 1, added: 1, alreadyPresent: 0, removed: 1 },
      ],
      total: { exported: 3, added: 3, alreadyPresent: 0, removed: 3 },
    });
    expect(await exported(ALICE)).toBe(anonymousBefore);
    expect(await exported(BOB_NEW)).toBe(bobNotes);
    expect(await exported(ANONYMOUS)).toBe("");
    expect(await exported(BOB)).toBe("");

    const rerun = await notes(moveArgs(mapping));
    expect(rerun.code, rerun.output).toBe(0);
    expect(JSON.parse(rerun.stdout)).toMatchObject({
      ok: true,
      moves: [
        { status: "empty", added: 0 },
        { status: "empty", added: 0 },
      ],
      total: { exported: 0, added: 0, removed: 0 },
    });
    expect(await exported(ALICE)).toBe(anonymousBefore);
    expect(await exported(BOB_NEW)).toBe(bobNotes);
  });

  it("a move interrupted after its import finishes on the rerun: the copies are not duplicated, the source is cleared", async () => {
    const from = "api_key|self|carol";
    const to = "oauth|https%3A%2F%2Fmcp.example.com|carol";
    const carol = file("carol.ndjson", '{"text":"carol 1","createdAt":"2024-01-01T00:00:00.000Z"}\n');
    for (const tenant of [from, to]) {
      expect((await notes(["import", "--url", dev.origin, "--tenant", tenant, "--file", carol])).code).toBe(0);
    }
    const mapping = file("carol.json", JSON.stringify({ moves: [{ from, to }] }));
    const human = await notes(["move", "--from-url", dev.origin, "--to-url", dev.origin, "--mapping", mapping]);
    expect(human.code, human.output).toBe(0);
    expect(human.stdout).toBe(
      `${from} → ${to}: 1 note(s): 0 added, 1 already there; source cleared (1 removed)\n` +
        "done: 1 of 1 entries, 1 note(s) exported, 0 added, 1 already there, 1 removed\n",
    );
    expect(await exported(to)).toBe('{"text":"carol 1","createdAt":"2024-01-01T00:00:00.000Z"}\n');
    expect(await exported(from)).toBe("");
  });

  it("--keep-source copies and leaves the source as it was", async () => {
    const from = "api_key|self|dave";
    const to = "api_key|self|dave-copy";
    const dave = '{"text":"dave","createdAt":"2024-02-02T00:00:00.000Z"}\n';
    expect(
      (await notes(["import", "--url", dev.origin, "--tenant", from, "--file", file("dave.ndjson", dave)])).code,
    ).toBe(0);
    const run = await notes(moveArgs(file("dave.json", JSON.stringify({ moves: [{ from, to }] })), "--keep-source"));
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, moves: [{ status: "copied", added: 1, removed: null }] });
    expect(await exported(from)).toBe(dave);
    expect(await exported(to)).toBe(dave);
  });

  it.each([
    [
      {
        moves: [
          { from: "api_key|self|erin", to: "api_key|self|erin2" },
          { from: "api_key|self|x", to: "bad key" },
        ],
      },
      "mapping moves[1].to: a tenant key is method|issuer|subject (3 parts), this one has 1",
    ],
    [
      {
        moves: [
          { from: "api_key|self|erin", to: "api_key|self|a" },
          { from: "api_key|self|erin", to: "api_key|self|b" },
        ],
      },
      "mapping moves[1].from is the source of an earlier entry too",
    ],
    [
      { moves: [{ from: "api_key|self|erin", to: "api_key|self|erin" }] },
      "mapping moves[0].from is also a target on the same app",
    ],
    [
      {
        moves: [
          { from: "api_key|self|erin", to: "api_key|self|f" },
          { from: "api_key|self|f", to: "api_key|self|g" },
        ],
      },
      "mapping moves[1].from is also a target on the same app",
    ],
    [{ moves: [{ from: "api_key|self|erin" }] }, "mapping moves[0].to is not a tenant key"],
    [{ moves: [] }, 'the mapping needs a non-empty "moves" list'],
    [[{ from: "api_key|self|erin", to: "api_key|self|f" }], 'the mapping needs a non-empty "moves" list'],
  ])("a mapping with a bad entry is refused whole before anything moves (exit 2): %j", async (mapping, message) => {
    const erin = '{"text":"erin","createdAt":"2024-03-03T00:00:00.000Z"}\n';
    await notes(["import", "--url", dev.origin, "--tenant", "api_key|self|erin", "--file", file("erin.ndjson", erin)]);
    const run = await notes(moveArgs(file("bad.json", JSON.stringify(mapping))));
    expect(run.code).toBe(2);
    const record = JSON.parse(run.stdout) as { error: string };
    expect(Object.keys(record)).toEqual(["error"]);
    expect(record.error).toContain(message);
    expect(await exported("api_key|self|erin")).toBe(erin);
    expect(await exported("api_key|self|erin2")).toBe("");
  });

  it("a mapping file that is missing or not JSON → exit 2 naming it", async () => {
    const missing = await notes(moveArgs(join(files, "no-such.json")));
    expect(missing.code).toBe(2);
    expect(missing.output).toContain(`cannot read the mapping file ${join(files, "no-such.json")}`);
    const notJson = await notes(moveArgs(file("not.json", "moves: []")));
    expect(notJson.code).toBe(2);
    expect(notJson.output).toContain("the mapping is not JSON");
  });

  it("an import file with a bad line is refused before anything is sent (exit 1), nothing written", async () => {
    const tenant = "api_key|self|frank";
    const body = '{"text":"ok","createdAt":"2024-01-01T00:00:00.000Z"}\n{"text":"no date"}\n';
    const run = await notes(["import", "--url", dev.origin, "--tenant", tenant, "--file", file("frank.ndjson", body)]);
    expect(run.code).toBe(1);
    expect(run.output).toContain('line 2: a note is exactly {"text", "createdAt"}; nothing was imported');
    expect(await exported(tenant)).toBe("");
  });

  it("a wrong secret, a server without the route and a server that is down each say what to fix (exit 1), never the secret", async () => {
    const wrong = "wrong-secret-wrong-secret-wrong-secret-0";
    const refused = await notes(["export", "--url", dev.origin, "--tenant", ALICE], { NOTES_ADMIN_SECRET: wrong });
    expect(refused.code).toBe(1);
    expect(refused.output).toContain(
      `${dev.origin} refused the admin secret from the environment variable NOTES_ADMIN_SECRET`,
    );
    expect(refused.output).not.toContain(wrong);

    // An app without NOTES_ADMIN_SECRET answers /admin/notes as any unknown path (the workerd
    // suite proves it); a server that answers so stands in for it, whatever a local .dev.vars says.
    const unknownPath = await serveOnLoopback((_request, response) => {
      response.writeHead(404, { "content-type": "application/json" });
      response.end(JSON.stringify({ error: "not_found", error_description: "Try POST /mcp or GET /." }));
    });
    try {
      const off = await notes(["export", "--url", unknownPath.origin, "--tenant", ALICE]);
      expect(off.code).toBe(1);
      expect(off.output).toContain(
        `${unknownPath.origin} has no /admin/notes: the app runs without NOTES_ADMIN_SECRET; set it`,
      );
      expect(off.output).not.toContain(SECRET);
    } finally {
      await unknownPath.stop();
    }

    // An OAuth app named by another host than its PUBLIC_ORIGIN: the guard's JSON-RPC error, passed on.
    const otherHost = await serveOnLoopback((_request, response) => {
      response.writeHead(403, { "content-type": "application/json" });
      const message = "Forbidden: this server answers on http://localhost:8790 only";
      response.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message }, id: null }));
    });
    try {
      const foreign = await notes(["export", "--url", otherHost.origin, "--tenant", ALICE]);
      expect(foreign.code).toBe(1);
      expect(foreign.output).toContain(
        `${otherHost.origin} answered 403: Forbidden: this server answers on http://localhost:8790 only`,
      );
    } finally {
      await otherHost.stop();
    }

    const down = await notes(["export", "--url", "http://127.0.0.1:9", "--tenant", ALICE]);
    expect(down.code).toBe(1);
    expect(down.output).toContain("cannot reach http://127.0.0.1:9");

    const noSecret = await notes(["export", "--url", dev.origin, "--tenant", ALICE], { NOTES_ADMIN_SECRET: "" });
    expect(noSecret.code).toBe(2);
    expect(noSecret.output).toContain(
      "--url needs the app's admin secret in the environment variable NOTES_ADMIN_SECRET",
    );
  });
});

describe("npm run notes: where --app and --url point", () => {
  const flags = { app: "--app", url: "--url", envName: "NOTES_ADMIN_SECRET" };

  it.each(Object.keys(APPS))("--app %s: pnpm dev's origin and the secret of its dev variables", (app) => {
    const target = resolveTarget(app, undefined, flags, {});
    expect(target.secretFrom).toMatch(new RegExp(`^apps/${app}/\\.dev\\.vars(\\.example)?$`));
    const vars = parseEnv(readFileSync(join(ROOT, target.secretFrom), "utf8"));
    expect(target.secret).toBe(vars.NOTES_ADMIN_SECRET);
    expect(target.origin).toBe(vars.PUBLIC_ORIGIN ?? `http://localhost:${APPS[app as keyof typeof APPS]}`);
  });

  it("--url takes the secret from the environment variable it names, and only an origin", () => {
    expect(resolveTarget(undefined, "https://mcp.example.com", flags, { NOTES_ADMIN_SECRET: "s" })).toEqual({
      origin: "https://mcp.example.com",
      secret: "s",
      secretFrom: "the environment variable NOTES_ADMIN_SECRET",
    });
    expect(() => resolveTarget(undefined, "https://mcp.example.com", flags, {})).toThrow(
      "--url needs the app's admin secret in the environment variable NOTES_ADMIN_SECRET",
    );
    expect(() => resolveTarget(undefined, "https://mcp.example.com/mcp", flags, { NOTES_ADMIN_SECRET: "s" })).toThrow(
      "--url must be an origin",
    );
    expect(() => resolveTarget("no-such-app", undefined, flags, {})).toThrow("--app is one of no-auth");
  });
});

describe("npm run notes: a move between two apps", () => {
  const TV_SECRET = "e2e-notes-admin-secret-token-validation-0123";
  let tv: WranglerDev;

  beforeAll(async () => {
    // token-validation with API keys only (it needs no other setting): notes need no key store.
    tv = await startWranglerDev({
      cwd: join(ROOT, "apps", "token-validation"),
      vars: { AUTH_METHODS: "api_key", NOTES_ADMIN_SECRET: TV_SECRET },
    });
  }, 240_000);

  afterAll(async () => {
    await tv.stop();
  });

  it("moves no-auth's tenants into token-validation's, each app with its own secret", async () => {
    const from = "jwt|https%3A%2F%2Fidp.example.com|grace";
    const to = "api_key|self|grace";
    const grace = '{"text":"grace, moved across apps","createdAt":"2024-04-04T04:04:04.004Z"}\n';
    expect(
      (await notes(["import", "--url", dev.origin, "--tenant", from, "--file", file("grace.ndjson", grace)])).code,
    ).toBe(0);
    const mapping = file("across.json", JSON.stringify({ moves: [{ from, to }] }));
    const args = ["move", "--from-url", dev.origin, "--to-url", tv.origin, "--mapping", mapping, "--json"];

    const wrongTarget = await notes(args, { NOTES_ADMIN_SECRET_TO: SECRET });
    expect(wrongTarget.code).toBe(1);
    expect(JSON.parse(wrongTarget.stdout)).toMatchObject({ ok: false, moves: [{ status: "failed" }] });
    expect(wrongTarget.output).toContain(
      `${tv.origin} refused the admin secret from the environment variable NOTES_ADMIN_SECRET_TO`,
    );
    expect(await exported(from)).toBe(grace);

    const moved = await notes(args, { NOTES_ADMIN_SECRET_TO: TV_SECRET });
    expect(moved.code, moved.output).toBe(0);
    expect(JSON.parse(moved.stdout)).toMatchObject({
      ok: true,
      from: dev.origin,
      to: tv.origin,
      moves: [{ from, to, status: "moved", exported: 1, added: 1, removed: 1 }],
    });
    expect(await exported(from)).toBe("");
    const target = await notes(["export", "--url", tv.origin, "--tenant", to], { NOTES_ADMIN_SECRET: TV_SECRET });
    expect(target.code, target.output).toBe(0);
    expect(target.stdout).toBe(grace);
  });
});

// Every fenced ```sh command of every README runs, as written, on a machine with only Node 20 and
// npm: one test per command, in README order, in one fresh copy of the tree (the first commands
// install it and start `pnpm dev`, which creates what later ones need: .dev.vars, the local key
// database). Fails when the shell cannot find a command, or when an app of `pnpm dev` does not come
// up in any of its README_DEV_STARTS starts (3 by default). Run by `npm run test:docs`.
import assert from "node:assert/strict";
import {
  allCommands,
  check,
  describeOutcome,
  notFoundIn,
  planFor,
  prepare,
  readmeFiles,
  readmeTests,
  type CheckState,
} from "./check-readme-commands.ts";
import { DEV_READY, devProgress, devSummary } from "./dev-progress.ts";

// vitest's globals (vitest is not a dependency of the root, so its types are not either).
declare const it: ((
  name: string,
  fn: (context: { skip: (note?: string) => never }) => Promise<void> | void,
) => void) & {
  skip: (name: string, fn: () => void) => void;
};
declare const beforeAll: (fn: () => void) => void;
declare const afterAll: (fn: () => void) => void;

let state: CheckState & { cleanup: () => void };
beforeAll(() => {
  state = prepare();
});
afterAll(() => {
  state.cleanup();
});

it("the Node-20-only PATH has no pnpm, and the check sees that", async () => {
  const outcome = await check({ where: "control", command: "pnpm --version", dir: "." }, state);
  assert.match(outcome.notFound ?? "", /pnpm: command not found/);
  const node = await check({ where: "control", command: "node --version", dir: "." }, state);
  assert.equal(node.notFound, undefined);
  assert.match(node.tail, /^v20\./);
});

it("npm's script shell saying `not found` counts, and so does Node 20 given a .ts file", () => {
  assert.equal(notFoundIn(127, "sh: 1: pnpm: not found"), "sh: 1: pnpm: not found");
  assert.match(notFoundIn(1, "TypeError [ERR_UNKNOWN_FILE_EXTENSION]: .ts") ?? "", /\.ts file/);
  assert.equal(notFoundIn(1, "error: no dev IdP answers"), undefined);
});

it("deploy's offline --check runs; the rest of deploy needs a Cloudflare account", () => {
  assert.equal(planFor("npm run deploy -- no-auth --check --config deploy/samples/no-auth.jsonc").mode, "run");
  assert.equal(planFor("npx -y pnpm@10.34.9 run deploy oauth-proxy --check").mode, "run");
  assert.deepEqual(planFor("npm run deploy -- oauth-proxy --workers-dev my-team"), {
    mode: "skip",
    reason: "needs a Cloudflare account",
  });
  assert.equal(planFor("npm run deploy -- oauth-proxy --teardown").mode, "skip");
});

it("the workshop's READMEs are read; its checks and solutions, which start apps or run compare, are watched", () => {
  const files = readmeFiles();
  assert.ok(files.includes("workshop/README.md"));
  assert.ok(files.includes("workshop/01-first-call/README.md"));
  assert.equal(planFor("npx -y pnpm@10.34.9 workshop check 01").mode, "smoke");
  assert.equal(planFor("npx -y pnpm@10.34.9 workshop solve 07").mode, "smoke");
  assert.equal(planFor("npx -y pnpm@10.34.9 workshop solve 07 --show").mode, "run");
  assert.equal(planFor("npx -y pnpm@10.34.9 workshop list").mode, "run");
});

it("a `pnpm dev` start with one app down is named, with the line that says why", () => {
  const plan = planFor("npx -y pnpm@10.34.9 install && npx -y pnpm@10.34.9 dev");
  assert.equal(plan.mode, "until-ready");
  assert.ok(plan.starts >= 1);
  assert.deepEqual(plan.ports, [8787, 8788, 8789, 8790, 8791, 9287, 9288, 9289, 9290]);
  // The shape of a start that raced for one inspector port (colours as wrangler prints them).
  const output = [
    "@mcp-auth/dev-idp:dev:   issuer         http://127.0.0.1:8791",
    "@mcp-auth/no-auth:dev: [wrangler:info] Ready on http://localhost:8787",
    '@mcp-auth/oauth-proxy:dev: \u001b[31m✘ \u001b[41;31m[\u001b[41;97mERROR\u001b[41;31m]\u001b[0m Address already in use (socket "direct:1:default").',
    "@mcp-auth/token-validation:dev: [wrangler:info] Ready on http://localhost:8788",
  ].join("\n");
  const progress = devProgress(plan.ready, output);
  assert.deepEqual(progress.up, ["no-auth", "token-validation", "dev-idp"]);
  assert.deepEqual(
    [...progress.failed],
    [["oauth-proxy", '✘ [ERROR] Address already in use (socket "direct:1:default").']],
  );
  // full-oauth-provider has neither said it is up nor failed: the start goes on.
  assert.equal(progress.settled, false);
  const done = `${output}\n@mcp-auth/full-oauth-provider:dev: [wrangler:info] Ready on http://localhost:8790`;
  assert.equal(devProgress(plan.ready, done).settled, true);
  const refused =
    "@mcp-auth/full-oauth-provider:dev: ✗ full-oauth-provider not started: its configuration has 1 problem";
  assert.equal(devProgress(plan.ready, `${output}\n${refused}`).failed.get("full-oauth-provider"), refused.slice(35));
  // A step stopped by Ctrl-C is not a failure; one that exits non-zero is.
  const stopped = "@mcp-auth/full-oauth-provider:dev:  ELIFECYCLE  Command failed.";
  assert.equal(devProgress(plan.ready, `${output}\n${stopped}`).settled, false);
});

it("`pnpm dev` ends with a summary once every app is up or failed, only when one failed", () => {
  const up = [
    "@mcp-auth/dev-idp:dev:   issuer         http://127.0.0.1:8791",
    "@mcp-auth/no-auth:dev: [wrangler:info] Ready on http://localhost:8787",
    "@mcp-auth/token-validation:dev: [wrangler:info] Ready on http://localhost:8788",
    "@mcp-auth/full-oauth-provider:dev: [wrangler:info] Ready on http://localhost:8790",
  ];
  // check-dev-config's block as turbo prints it: the ✗ line, its problems indented, the fix.
  const refused = [
    "@mcp-auth/oauth-proxy:dev: ✗ oauth-proxy not started: its configuration has 2 problems",
    "@mcp-auth/oauth-proxy:dev:     PUBLIC_ORIGIN: port 8788 is not this app's dev port 8789",
    '@mcp-auth/oauth-proxy:dev:     UPSTREAM_CLIENT_SECRET: required: add UPSTREAM_CLIENT_SECRET="…" to .dev.vars',
    "@mcp-auth/oauth-proxy:dev:   Fix apps/oauth-proxy/.dev.vars, then restart `pnpm dev`.",
  ].join("\n");
  // Not yet: dev-idp has not said it is up.
  assert.equal(devSummary(devProgress(DEV_READY, [refused, ...up.slice(1)].join("\n"))), undefined);
  assert.equal(
    devSummary(devProgress(DEV_READY, [refused, ...up].join("\n"))),
    [
      "",
      "✗ 1 of 5 did not start (the full message is above, under its name):",
      "    oauth-proxy: ✗ oauth-proxy not started: its configuration has 2 problems",
      "        PUBLIC_ORIGIN: port 8788 is not this app's dev port 8789",
      '        UPSTREAM_CLIENT_SECRET: required: add UPSTREAM_CLIENT_SECRET="…" to .dev.vars',
      "  Running: no-auth http://localhost:8787, token-validation http://localhost:8788, " +
        "full-oauth-provider http://localhost:8790, dev-idp http://127.0.0.1:8791",
      "",
    ].join("\n"),
  );
  const allUp = `${up.join("\n")}\n@mcp-auth/oauth-proxy:dev: [wrangler:info] Ready on http://localhost:8789`;
  assert.equal(devSummary(devProgress(DEV_READY, allUp)), undefined);
});

it("a command printed again is one test naming every place; one the plan does not run is a skipped test with its reason, never a pass", () => {
  const install = "npx -y pnpm@10.34.9 install";
  const tests = readmeTests([
    { where: "README.md:10", command: install, dir: "." },
    { where: "README.md:30", command: install, dir: "." },
    // The same text in another directory is another command: it runs.
    { where: "apps/no-auth/README.md:5", command: install, dir: "apps/no-auth" },
    { where: "README.md:40", command: "npx wrangler deploy", dir: "." },
    { where: "README.md:50", command: "npx wrangler deploy", dir: "." },
  ]);
  assert.deepEqual(
    tests.map((test) => [test.name, test.skip]),
    [
      [`README.md:10, README.md:30: ${install}`, undefined],
      [`apps/no-auth/README.md:5: ${install}`, undefined],
      [
        "README.md:40, README.md:50: npx wrangler deploy (skipped: needs a Cloudflare account)",
        "needs a Cloudflare account",
      ],
    ],
  );
});

// One test per distinct README command. One the plan does not run is a skipped test (the totals
// count it as skipped), never a test that returns early and counts as passed; one that could not
// run here after all (`pnpm dev`'s ports are taken) fails.
for (const test of readmeTests(allCommands())) {
  if (test.skip !== undefined) {
    it.skip(test.name, () => {});
    continue;
  }
  it(test.name, async () => {
    const outcome = await check(test.entry, state);
    console.log(describeOutcome(outcome));
    assert.equal(outcome.notFound, undefined, `${describeOutcome(outcome)}\n${outcome.tail}`);
    assert.equal(outcome.notReady, undefined, `${describeOutcome(outcome)}\n${outcome.tail}`);
  });
}

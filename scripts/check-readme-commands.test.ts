// Every fenced ```sh command of every README runs, as written, on a machine with only Node 20 and
// npm: one test per command, in README order, in one fresh copy of the tree (the first commands
// install it and start `pnpm dev` once, which creates what later ones need: .dev.vars, the local
// key database). Fails when the shell cannot find a command. Run by `npm run test:docs`.
import assert from "node:assert/strict";
import { allCommands, check, describeOutcome, notFoundIn, prepare, type CheckState } from "./check-readme-commands.ts";

// vitest's globals (vitest is not a dependency of the root, so its types are not either).
declare const it: (name: string, fn: () => Promise<void> | void) => void;
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

// A command printed twice (the same text in the same directory) runs once: it is found or not either way.
const seen = new Map<string, string>();
for (const entry of allCommands()) {
  const key = `${entry.dir} ${entry.command}`;
  const first = seen.get(key);
  if (first === undefined) seen.set(key, entry.where);
  it(`${entry.where}: ${entry.command}${first === undefined ? "" : ` (as at ${first})`}`, async () => {
    if (first !== undefined) return;
    const outcome = await check(entry, state);
    console.log(describeOutcome(outcome));
    assert.equal(outcome.notFound, undefined, `${describeOutcome(outcome)}\n${outcome.tail}`);
  });
}

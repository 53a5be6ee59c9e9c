// The narration: numbered steps, commands and config diffs as printed, and --pause waiting for
// Enter between steps (and not hanging when the input ends).
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { Narrator } from "../lib/record.ts";

function narrator(pause: boolean, input?: PassThrough) {
  const lines: string[] = [];
  const n = new Narrator({ from: "a", to: "b" }, true, {
    out: (line) => lines.push(line),
    pause,
    ...(input === undefined ? {} : { input }),
  });
  return { n, lines };
}

describe("Narrator", () => {
  it("numbers steps and records commands and lines under them", async () => {
    const { n, lines } = narrator(false);
    await n.step("operator", "first");
    n.command("npm run keys -- list");
    n.say("two keys");
    await n.step("client", "second");
    expect(lines.filter((line) => line !== "")).toEqual([
      " 1. [operator] first",
      "      $ npm run keys -- list",
      "      two keys",
      " 2. [client] second",
    ]);
    expect(n.record.steps.map((step) => [step.n, step.commands, step.lines])).toEqual([
      [1, ["npm run keys -- list"], ["two keys"]],
      [2, [], []],
    ]);
  });

  it("--pause: the second step starts only after a line arrives; an ended input lets it go on", async () => {
    const input = new PassThrough();
    const { n } = narrator(true, input);
    await n.step("operator", "first");
    let started = false;
    const second = n.step("operator", "second").then(() => (started = true));
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(started).toBe(false);
    input.write("\n");
    await second;
    expect(started).toBe(true);
    input.end();
    await n.step("operator", "third");
    await n.step("operator", "fourth");
    expect(n.record.steps).toHaveLength(4);
    n.close();
  });
});

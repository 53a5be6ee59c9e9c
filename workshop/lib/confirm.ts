// A yes/no question on a terminal; nothing to ask when there is none (CI, a pipe).
import { createInterface } from "node:readline/promises";

/** `question` answered on the terminal: true for y/yes. `undefined` when stdin is not a TTY (nobody to ask). */
export async function confirm(question: string): Promise<boolean | undefined> {
  if (!process.stdin.isTTY) return undefined;
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await terminal.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    terminal.close();
  }
}

// What a rehearsal records as it runs: numbered steps (who acts, what they run, what each client
// sees, the config a user changes), the anonymous probe's answers, and the verdicts. Printed as
// it happens; `--json` writes the same record at the end.
import { createInterface, type Interface } from "node:readline";

/** The `--json` record's schema name; bump when a field changes meaning. */
export const SCHEMA = "mcp-auth-rehearse/1";

/** Who performs a step: the operator (commands), a client (an MCP call), or the rehearsal (a check). */
export type Actor = "operator" | "client" | "check";

/** A config a user changes in one MCP client: the JSON before and after. */
export interface ConfigChange {
  /** The person whose client it is. */
  who: string;
  client: string;
  where: string;
  before: string;
  after: string;
  /** A unified diff of `before` → `after`. */
  diff: string;
}

export interface Step {
  n: number;
  actor: Actor;
  title: string;
  /** Commands the operator runs, exactly as they would type them. */
  commands: string[];
  /** What happened, one line each (what a client saw, what a command answered). */
  lines: string[];
  configs: ConfigChange[];
}

/** The anonymous probe's answer from one server after one step. */
export interface ProbeAnswer {
  step: number;
  server: string;
  status: number;
  /** "200 result", "401 invalid_token", "unreachable". */
  answer: string;
  /** The notes it could read (their hashes), when it got in. */
  notesSeen: string[];
}

/** One of the checks every rehearsal makes. */
export interface Verdict {
  id: "notes" | "probe" | "told" | "revocation" | "tooling";
  label: string;
  ok: boolean;
  /** The evidence, or the reason it failed. */
  detail: string;
}

export interface RehearsalRecord {
  schema: typeof SCHEMA;
  path: { from: string; to: string };
  quick: boolean;
  startedAt: string;
  finishedAt?: string;
  steps: Step[];
  probes: ProbeAnswer[];
  verdicts: Verdict[];
  ok: boolean;
  /** Why the rehearsal stopped before its end, when it did. */
  error?: string;
}

/** Where the narration goes, and whether to wait for Enter between steps. */
export interface NarratorOptions {
  out: (line: string) => void;
  pause: boolean;
  input?: NodeJS.ReadableStream;
}

/** Records steps and prints them as they are performed. */
export class Narrator {
  readonly record: RehearsalRecord;
  private current: Step | undefined;
  private readonly options: NarratorOptions;

  constructor(path: { from: string; to: string }, quick: boolean, options: NarratorOptions) {
    this.options = options;
    this.record = {
      schema: SCHEMA,
      path,
      quick,
      startedAt: new Date().toISOString(),
      steps: [],
      probes: [],
      verdicts: [],
      ok: false,
    };
  }

  /** The number of the step being performed (0 before the first). */
  get stepNumber(): number {
    return this.current?.n ?? 0;
  }

  /** Starts step n+1; with `--pause`, waits for Enter first (after the first step). */
  async step(actor: Actor, title: string): Promise<void> {
    if (this.options.pause && this.current !== undefined) await this.waitForEnter();
    const step: Step = { n: this.record.steps.length + 1, actor, title, commands: [], lines: [], configs: [] };
    this.record.steps.push(step);
    this.current = step;
    this.options.out("");
    this.options.out(`${String(step.n).padStart(2)}. [${actor}] ${title}`);
  }

  /** A command the operator runs, as typed. */
  command(text: string): void {
    this.active().commands.push(text);
    this.options.out(`      $ ${text}`);
  }

  /** A line of what happened. */
  say(text: string): void {
    this.active().lines.push(text);
    for (const line of text.split("\n")) this.options.out(`      ${line}`);
  }

  /** A client config change, printed as a diff. */
  config(change: ConfigChange): void {
    this.active().configs.push(change);
    this.options.out(`      ${change.who}'s ${change.client} (${change.where}):`);
    for (const line of change.diff.split("\n")) this.options.out(`        ${line}`);
  }

  probe(answer: Omit<ProbeAnswer, "step">): void {
    const entry = { step: this.stepNumber, ...answer };
    this.record.probes.push(entry);
    this.options.out(`      anonymous probe → ${answer.server}: ${answer.answer}`);
  }

  verdict(verdict: Verdict): void {
    this.record.verdicts.push(verdict);
  }

  private active(): Step {
    if (this.current === undefined) throw new Error("no step is being performed");
    return this.current;
  }

  private lines: { queued: number; ended: boolean; wake?: () => void; rl?: Interface } = { queued: 0, ended: false };

  private async waitForEnter(): Promise<void> {
    const lines = this.lines;
    if (lines.rl === undefined) {
      lines.rl = createInterface({ input: this.options.input ?? process.stdin, terminal: false });
      lines.rl.on("line", () => {
        lines.queued++;
        lines.wake?.();
      });
      lines.rl.on("close", () => {
        lines.ended = true;
        lines.wake?.();
      });
    }
    process.stderr.write("      (Enter for the next step) ");
    // A line, or the end of the input (a pipe that ended): go on rather than hang.
    while (lines.queued === 0 && !lines.ended) await new Promise<void>((resolve) => (lines.wake = resolve));
    if (lines.queued > 0) lines.queued--;
  }

  /** Stops reading the terminal (so the process can exit). */
  close(): void {
    this.lines.rl?.close();
  }
}

/** The verdict table: one row per check, ✓/✗ with its evidence. */
export function verdictTable(verdicts: readonly Verdict[]): string[] {
  const width = Math.max(...verdicts.map((verdict) => verdict.label.length), 5);
  return [
    `${"check".padEnd(width)}  result  evidence`,
    `${"-".repeat(width)}  ------  --------`,
    ...verdicts.map(
      (verdict) => `${verdict.label.padEnd(width)}  ${verdict.ok ? "✓ pass" : "✗ FAIL"}  ${verdict.detail}`,
    ),
  ];
}

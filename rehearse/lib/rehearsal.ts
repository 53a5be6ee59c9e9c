// What every rehearsal shares: the stage, the narration, the ledger of notes, the anonymous probe
// that runs after every step, the "what old clients are told" assertions, the revocation timing,
// and the final check that every note is readable by exactly its owner. The paths (paths.ts) are
// sequences of operator and client steps over these.
import { SignJWT } from "jose";
import { ANONYMOUS, Ledger, compareNotebook } from "./ledger.ts";
import { call, notesOf, rawNotesList, type Answer, type Person } from "./people.ts";
import { verdictTable, type Narrator, type RehearsalRecord, type Verdict } from "./record.ts";
import { Stage, type App } from "./stage.ts";

/** A fault a test injects to prove the rehearsal notices it (never used by a real run). */
export const SABOTAGES = ["drop-note", "leave-optional", "missing-mapping"] as const;
export type Sabotage = (typeof SABOTAGES)[number];

export interface RunOptions {
  quick: boolean;
  sabotage?: Sabotage;
}

/** A step that failed on purpose-made or real bad input: the rehearsal stops with this message. */
export class RehearsalStopped extends Error {}

/** One "old clients are told what to do" assertion, as recorded. */
interface Told {
  step: number;
  who: string;
  what: string;
  ok: boolean;
  saw: string;
}

export class Run {
  readonly stage = new Stage();
  readonly ledger = new Ledger();
  readonly told: Told[] = [];
  readonly revocations: { what: string; ms: number | undefined; boundMs: number; saw: string }[] = [];
  readonly tooling: { what: string; ok: boolean; detail: string }[] = [];
  /** The servers the anonymous probe asks after every step. */
  readonly probed = new Map<string, App>();
  private readonly probeAddress = "198.51.100.77";

  readonly narrator: Narrator;
  readonly options: RunOptions;

  constructor(narrator: Narrator, options: RunOptions) {
    this.narrator = narrator;
    this.options = options;
  }

  /** Starts step n with `actor` and `title`; `body` performs it; the probe runs after it. */
  async step(actor: "operator" | "client" | "check", title: string, body: () => Promise<void>): Promise<void> {
    await this.narrator.step(actor, title);
    await body();
    await this.probe();
  }

  /** The anonymous probe: a `notes_list` with no credential at every server in play. */
  async probe(): Promise<void> {
    for (const [label, app] of this.probed) {
      const answer = await rawNotesList(app.origin, { "cf-connecting-ip": this.probeAddress });
      this.narrator.probe({
        server: label,
        status: answer.status,
        answer: answer.summary,
        notesSeen: answer.notes ?? [],
      });
    }
  }

  /** `who` writes `count` notes through their client; the ledger records who must own them. */
  async write(
    who: Person,
    count: number,
    owner = who.credential.kind === "none" ? ANONYMOUS : who.name,
  ): Promise<Answer["headers"]> {
    let headers = new Headers();
    for (let i = 0; i < count; i++) {
      const text = this.ledger.text(who.name);
      const seen = await call(who, "notes_add", { text });
      if (seen.result.isError === true) {
        throw new RehearsalStopped(`${who.name}'s notes_add was refused: ${JSON.stringify(seen.result.content)}`);
      }
      headers = seen.headers;
      this.ledger.add({
        text,
        writer: who.name,
        step: this.narrator.stepNumber,
        owner,
        private: who.credential.kind !== "none",
      });
    }
    this.narrator.say(`${who.name} (${who.client}) wrote ${String(count)} note${count === 1 ? "" : "s"} at ${who.url}`);
    return headers;
  }

  /** Records one "what an old client is told" assertion and narrates it. */
  expectTold(who: string, what: string, ok: boolean, saw: string): void {
    this.told.push({ step: this.narrator.stepNumber, who, what, ok, saw });
    this.narrator.say(`${ok ? "✓" : "✗"} ${who}: ${what} — saw ${saw}`);
  }

  /**
   * A credential that must now be refused: asks with it until refused (or `boundMs` passes) and
   * records how long that took after the operator's command returned.
   */
  async expectRefused(what: string, startedAt: number, boundMs: number, ask: () => Promise<Answer>): Promise<Answer> {
    let answer = await ask();
    while (answer.status !== 401 && performance.now() - startedAt < boundMs) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      answer = await ask();
    }
    const ms = answer.status === 401 ? Math.round(performance.now() - startedAt) : undefined;
    this.revocations.push({ what, ms, boundMs, saw: answer.summary });
    this.narrator.say(
      ms === undefined
        ? `✗ ${what}: still accepted ${String(boundMs)} ms after the command returned (${answer.summary})`
        : `✓ ${what}: refused ${String(ms)} ms after the command returned (bound ${String(boundMs)} ms): ${answer.summary}`,
    );
    return answer;
  }

  /** Records a tooling check (a refused mapping that changed nothing, a rerun that added nothing). */
  toolingCheck(what: string, ok: boolean, detail: string): void {
    this.tooling.push({ what, ok, detail });
    this.narrator.say(`${ok ? "✓" : "✗"} ${what}: ${detail}`);
  }

  /**
   * The final check: each person reads their notebook through their own client, and it holds
   * exactly their notes; a stranger with a fresh credential reads none.
   */
  async finalCheck(people: readonly Person[], stranger: Person | undefined): Promise<Verdict> {
    const problems: string[] = [];
    let checked = 0;
    for (const who of people) {
      const read = await notesOf(who);
      const { missing, foreign } = compareNotebook(this.ledger, who.name, read);
      checked += read.length;
      this.narrator.say(`${who.name} reads ${String(read.length)} notes at ${who.url}`);
      for (const hash of missing) problems.push(`${this.ledger.describe(hash)} is not readable by ${who.name}`);
      for (const hash of foreign)
        problems.push(`${who.name} can read ${this.ledger.describe(hash)}, which is not theirs`);
    }
    if (stranger !== undefined) {
      const read = await notesOf(stranger);
      this.narrator.say(`${stranger.name}, a new caller, reads ${String(read.length)} notes`);
      for (const hash of read) problems.push(`${stranger.name} (a new caller) can read ${this.ledger.describe(hash)}`);
    }
    const leftOver = this.ledger.ownedBy(ANONYMOUS);
    if (leftOver.length > 0) problems.push(`${String(leftOver.length)} notes were given to nobody`);
    return {
      id: "notes",
      label: "No note lost and none misplaced",
      ok: problems.length === 0,
      detail:
        problems.length === 0
          ? `${String(this.ledger.notes.length)} notes, each readable by exactly its owner (compared by SHA-256 of its text; ${String(checked)} read back)${stranger === undefined ? "" : "; a new caller reads none"}`
          : problems.join("; "),
    };
  }

  /**
   * The probe's verdict: it never read a note written with a credential, it got in only where
   * `openWhile` says the source pattern already let it, and it is refused after the last step.
   */
  probeVerdict(openWhile: (server: string, step: number) => boolean): Verdict {
    const secret = this.ledger.privateHashes();
    const lastStep = Math.max(...this.narrator.record.probes.map((probe) => probe.step));
    const problems: string[] = [];
    for (const probe of this.narrator.record.probes) {
      const leaked = probe.notesSeen.filter((hash) => secret.has(hash));
      if (leaked.length > 0) {
        problems.push(
          `step ${String(probe.step)}: ${probe.server} let it read ${leaked.map((hash) => this.ledger.describe(hash)).join(", ")}`,
        );
      }
      if (probe.status === 200 && (!openWhile(probe.server, probe.step) || probe.step === lastStep)) {
        problems.push(`step ${String(probe.step)}: ${probe.server} served it (${probe.answer})`);
      }
    }
    const byStep = [...new Set(this.narrator.record.probes.map((probe) => probe.step))]
      .map((step) => {
        const answers = this.narrator.record.probes.filter((probe) => probe.step === step);
        return `${String(step)}: ${answers.map((probe) => `${probe.server} ${String(probe.status || "down")}`).join(", ")}`;
      })
      .join(" · ");
    return {
      id: "probe",
      label: "No new window for anonymous callers",
      ok: problems.length === 0,
      detail: problems.length === 0 ? `answers by step — ${byStep}` : problems.join("; "),
    };
  }

  toldVerdict(): Verdict {
    const failed = this.told.filter((entry) => !entry.ok);
    return {
      id: "told",
      label: "Old clients are told what to do",
      ok: this.told.length > 0 && failed.length === 0,
      detail:
        failed.length === 0
          ? this.told.map((entry) => `step ${String(entry.step)} ${entry.who}: ${entry.saw}`).join("; ")
          : failed
              .map((entry) => `step ${String(entry.step)} ${entry.who}: expected ${entry.what}, saw ${entry.saw}`)
              .join("; "),
    };
  }

  revocationVerdict(): Verdict {
    const failed = this.revocations.filter((entry) => entry.ms === undefined);
    return {
      id: "revocation",
      label: "Old credentials refused at cut-over",
      ok: this.revocations.length > 0 && failed.length === 0,
      detail: (failed.length === 0 ? this.revocations : failed)
        .map((entry) =>
          entry.ms === undefined
            ? `${entry.what}: still accepted after ${String(entry.boundMs)} ms (${entry.saw})`
            : `${entry.what}: ${String(entry.ms)} ms (bound ${String(entry.boundMs)} ms)`,
        )
        .join("; "),
    };
  }

  toolingVerdict(): Verdict {
    const failed = this.tooling.filter((entry) => !entry.ok);
    return {
      id: "tooling",
      label: "Data moves are checked and idempotent",
      ok: this.tooling.length > 0 && failed.length === 0,
      detail: (failed.length === 0 ? this.tooling : failed).map((entry) => `${entry.what}: ${entry.detail}`).join("; "),
    };
  }

  /** Prints the verdict table and fills the record. */
  conclude(verdicts: readonly Verdict[]): RehearsalRecord {
    for (const verdict of verdicts) this.narrator.verdict(verdict);
    const record = this.narrator.record;
    record.ok = verdicts.every((verdict) => verdict.ok);
    return record;
  }
}

/** An HS256 JWT as a team's own identity system would mint it (rehearsal-only secret). */
export async function mintJwt(
  settings: { secret: string; issuer: string; audience: string },
  subject: string,
): Promise<string> {
  return new SignJWT({ scope: "notes:read notes:write" })
    .setProtectedHeader({ alg: "HS256", typ: "at+jwt" })
    .setSubject(subject)
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setIssuedAt()
    .setExpirationTime("1h")
    .sign(new TextEncoder().encode(settings.secret));
}

/** The verdict table as printed at the end of a run. */
export function printVerdicts(out: (line: string) => void, record: RehearsalRecord): void {
  out("");
  out(`Verdict: ${record.path.from} → ${record.path.to}${record.ok ? "" : " — FAILED"}`);
  for (const line of verdictTable(record.verdicts)) out(`  ${line}`);
  if (record.error !== undefined) out(`  stopped: ${record.error}`);
}

// Reading `pnpm dev`'s output (turbo prefixes every line with `@mcp-auth/<app>:dev:`): which apps
// are up, which failed and why. Used by `pnpm dev` itself (scripts/dev.ts) for its closing summary
// and by the README-commands check, which fails on any app that does not come up.
import { stripVTControlCharacters } from "node:util";

/** Each app `pnpm dev` starts, with the line that says it is up. */
export const DEV_READY: Readonly<Record<string, RegExp>> = {
  "no-auth": /Ready on http:\/\/\S+:8787/,
  "token-validation": /Ready on http:\/\/\S+:8788/,
  "oauth-proxy": /Ready on http:\/\/\S+:8789/,
  "full-oauth-provider": /Ready on http:\/\/\S+:8790/,
  "dev-idp": /issuer\s+http/,
};

/** Where each app of {@link DEV_READY} answers. */
const DEV_URLS: Readonly<Record<string, string>> = {
  "no-auth": "http://localhost:8787",
  "token-validation": "http://localhost:8788",
  "oauth-proxy": "http://localhost:8789",
  "full-oauth-provider": "http://localhost:8790",
  "dev-idp": "http://127.0.0.1:8791",
};

/** What a `dev` output says so far about each app of `ready`. */
export interface DevProgress {
  up: string[];
  /** A failed app and its first error line: wrangler's `[ERROR]`, check-dev-config's ✗, a failed step. */
  failed: Map<string, string>;
  /** The problems check-dev-config listed under a failed app's ✗ line (indented under it). */
  problems: Map<string, string[]>;
  /** Every app is up or has failed. */
  settled: boolean;
}

/** Which apps of `ready` are up, and which have failed, in a `dev` output. */
export function devProgress(ready: Readonly<Record<string, RegExp>>, output: string): DevProgress {
  const lines = stripVTControlCharacters(output).split("\n");
  const up: string[] = [];
  const failed = new Map<string, string>();
  const problems = new Map<string, string[]>();
  for (const [app, pattern] of Object.entries(ready)) {
    if (lines.some((line) => pattern.test(line))) {
      up.push(app);
      continue;
    }
    const prefix = `@mcp-auth/${app}:dev: `;
    // A step that exits non-zero says "failed with exit code"; one stopped by Ctrl-C does not.
    const own = lines.filter((line) => line.startsWith(prefix)).map((line) => line.slice(prefix.length));
    const at = own.findIndex((line) => /\[ERROR\]|✗|ELIFECYCLE\s+Command failed with exit code/.test(line));
    const line = own[at];
    if (line === undefined) continue;
    failed.set(app, line.trim());
    const listed: string[] = [];
    for (const next of own.slice(at + 1)) {
      if (!next.startsWith("    ")) break;
      listed.push(next.trim());
    }
    if (listed.length > 0) problems.set(app, listed);
  }
  return { up, failed, problems, settled: up.length + failed.size === Object.keys(ready).length };
}

/**
 * The few lines `pnpm dev` ends with once every app is up or has failed, when one failed: which,
 * why (and the configuration problems check-dev-config listed), and where the others answer. Undefined while unsettled or when all are up.
 */
export function devSummary(progress: DevProgress): string | undefined {
  if (!progress.settled || progress.failed.size === 0) return undefined;
  const total = progress.up.length + progress.failed.size;
  return [
    "",
    `✗ ${progress.failed.size} of ${total} did not start (the full message is above, under its name):`,
    ...[...progress.failed].flatMap(([app, why]) => [
      `    ${app}: ${why}`,
      ...(progress.problems.get(app) ?? []).map((problem) => `        ${problem}`),
    ]),
    `  Running: ${progress.up.map((app) => `${app} ${DEV_URLS[app] ?? ""}`.trim()).join(", ") || "nothing"}`,
    "",
  ].join("\n");
}

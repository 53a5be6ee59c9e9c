// A stand-in until the live-URL smoke test lands here (same signature): it checks nothing and says so.
import type { AppName } from "./apps.ts";

/** One check of the live URL. */
export interface SmokeCheck {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

/** The deployed Worker at `origin` checked from outside, as a client would reach it. */
export async function smokeTest(
  app: AppName,
  origin: string,
  options: { fetch?: typeof fetch } = {},
): Promise<{ ok: boolean; checks: SmokeCheck[]; warnings: string[] }> {
  if (options.fetch !== undefined) {
    // nothing to fetch yet
  }
  return Promise.resolve({
    ok: true,
    checks: [],
    warnings: [`${app} at ${origin}: the smoke test is not in this tree yet: nothing was checked`],
  });
}

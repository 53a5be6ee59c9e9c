import { probeFraming, type Browser } from "@mcp-auth/dev-harness";
import { expect } from "vitest";

/**
 * `target` framed by another site: frames load on the embedding page (a control frame does),
 * the Worker answers the framed request with `status` (so "refused" is not "down"), Chromium
 * refuses to render it for `frame-ancestors 'none'` and says so, and `hidden` (text of the page)
 * never shows.
 */
export async function expectFramingRefused(
  browser: Browser,
  target: string,
  { hidden, status = 200 }: { hidden: string; status?: number },
): Promise<void> {
  const probe = await probeFraming(browser, target);
  expect(probe.controlText, target).toBe("control frame loaded");
  expect(probe.targetStatus, target).toBe(status);
  // Chromium names only the framed page's origin in the message, not its path and query.
  expect(probe.consoleErrors, target).toContainEqual(
    expect.stringContaining(
      `Framing '${new URL(target).origin}/' violates the following Content Security Policy directive: "frame-ancestors 'none'"`,
    ),
  );
  expect(probe.framedUrl, target).toBe("chrome-error://chromewebdata/");
  expect(probe.framedText ?? "", target).not.toContain(hidden);
}

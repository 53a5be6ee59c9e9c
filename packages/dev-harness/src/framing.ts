// Whether a page can be framed by another site: the clickjacking check every human page of the
// repo (landing, consent, login) must pass. The harness does the I/O; tests assert.
import type { Browser } from "playwright-core";
import { serveOnLoopback } from "./loopback-server.ts";

/** What Chromium did when another site framed `target` next to a frameable control page. */
export interface FramingProbe {
  /** The control frame's text: proves frames load at all on the embedding page. */
  controlText: string | undefined;
  /** The status the target answered the framed request with (so "blocked" is not "down"). */
  targetStatus: number;
  /** Console errors of the embedding page (Chromium explains a refused frame there). */
  consoleErrors: string[];
  /** Where the target frame ended up (`chrome-error://chromewebdata/` when refused). */
  framedUrl: string | undefined;
  /** The text the target frame shows. */
  framedText: string | undefined;
}

/**
 * Frames `target` from another loopback origin (a public origin would be stopped by Chromium's
 * local-network protection before `frame-ancestors` is ever consulted) beside a control frame,
 * and reports what happened. Waits until Chromium has logged a frame refusal or `waitMs` passed
 * (generous: it returns at the refusal, and a busy machine can take seconds to log it).
 */
export async function probeFraming(browser: Browser, target: string, waitMs = 30_000): Promise<FramingProbe> {
  const embedder = await serveOnLoopback((request, response) => {
    response.writeHead(200, { "content-type": "text/html" });
    response.end(
      request.url === "/control"
        ? "<p>control frame loaded</p>"
        : `<iframe name="control" src="/control"></iframe><iframe name="target" src="${target}"></iframe>`,
    );
  });
  const page = await browser.newPage();
  try {
    const consoleErrors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    const answered = page.waitForResponse(target);
    await page.goto(`${embedder.origin}/`, { waitUntil: "load" });
    const controlText = await page.frame({ name: "control" })?.locator("p").innerText();
    const targetStatus = (await answered).status();
    const deadline = Date.now() + waitMs;
    while (!consoleErrors.some((line) => line.includes("frame-ancestors")) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const framed = page.frame({ name: "target" });
    return {
      controlText,
      targetStatus,
      consoleErrors,
      framedUrl: framed?.url(),
      framedText: await framed?.evaluate(() => document.body.innerText),
    };
  } finally {
    await page.close();
    await embedder.stop();
  }
}

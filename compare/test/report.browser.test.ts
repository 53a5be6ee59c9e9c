import { launchChromium, type Browser } from "@mcp-auth/dev-harness";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkReportInBrowser } from "../lib/check-report.ts";
import { renderHtml, writeReport } from "../lib/report.ts";
import { fixtureResults } from "./fixture.ts";

describe("the report page in headless Chromium", () => {
  let browser: Browser;
  const dir = mkdtempSync(join(tmpdir(), "compare-report-browser-"));
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs clean: no console error, no request beyond the file, a bar per column, no empty cell", async () => {
    const results = fixtureResults();
    const { html } = writeReport(results, join(dir, "clean"));
    expect(await checkReportInBrowser(html, { browser })).toEqual([]);
    expect(results.throughput).toHaveLength(results.columns.length);
  });

  it("stays clean with a column that has no throughput: its row says not measured", async () => {
    const results = fixtureResults();
    results.throughput.pop();
    const { html } = writeReport(results, join(dir, "fewer"));
    expect(await checkReportInBrowser(html, { browser })).toEqual([]);
  });

  it("reports what a broken page does (the check can fail)", async () => {
    const good = renderHtml(fixtureResults());
    const broken = good
      // A request to another origin, a console error, an empty cell, a column's bar gone.
      .replace("<body>", '<body><img src="https://cdn.example/x.png" alt="">')
      .replace("<td>41 KiB</td>", "<td> </td>")
      .replace(/<rect class="bar" [^>]*><title>[^<]*<\/title><\/rect>/, "")
      .replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, "")
      .replace("</body>", "<script>console.error('boom')</script></body>");
    const path = join(dir, "broken.html");
    writeFileSync(path, broken);
    const problems = await checkReportInBrowser(path, { browser });
    expect(problems).toEqual(
      expect.arrayContaining([
        "request beyond the page: https://cdn.example/x.png",
        "console error: boom",
        "empty matrix cell: bundle × column 1",
        'throughput chart: column no-auth has 0 bars and no "not measured"',
        "throughput chart: 2 bars for 3 measured columns",
      ]),
    );
  });

  it("launches and closes its own browser when none is given", async () => {
    const { html } = writeReport(fixtureResults(), join(dir, "own"));
    expect(await checkReportInBrowser(html)).toEqual([]);
  });
});

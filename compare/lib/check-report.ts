// Opens a rendered report in real headless Chromium and lists what is wrong with it: console
// errors, any request beyond the file itself, a column without its throughput row, a bar count
// that does not match, an empty matrix cell. The report test runs it on a fixture; a real run's
// `compare-report/index.html` can be checked the same way.
import { launchChromium, type Browser } from "@mcp-auth/dev-harness";
import { pathToFileURL } from "node:url";

/** What the page shows, as counted in the browser. */
interface PageFacts {
  columns: string[];
  throughputRows: { column: string; bars: number; text: string }[];
  revocationRows: { column: string; bars: number; text: string }[];
  emptyCells: string[];
}

/**
 * Checks the report page at `htmlPath` in headless Chromium and returns its problems, one sentence
 * each (an empty list: the page is clean). Every request other than the page's own file is aborted
 * and reported, so the check never reaches the network.
 */
export async function checkReportInBrowser(htmlPath: string, options: { browser?: Browser } = {}): Promise<string[]> {
  const browser = options.browser ?? (await launchChromium());
  const problems: string[] = [];
  const fileUrl = pathToFileURL(htmlPath).href;
  try {
    const page = await browser.newPage();
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console error: ${message.text()}`);
    });
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("request", (request) => {
      if (request.url() !== fileUrl) problems.push(`request beyond the page: ${request.url()}`);
    });
    // Not only reported but refused: a checked page must not reach the network, whatever it holds.
    await page.route(
      (url) => url.href !== fileUrl,
      (route) => route.abort(),
    );
    await page.goto(fileUrl, { waitUntil: "load" });
    const facts = await page.evaluate((): PageFacts => {
      const rows = (selector: string): PageFacts["throughputRows"] =>
        [...document.querySelectorAll(`${selector} g.bar-row`)].map((row) => ({
          column: row.getAttribute("data-column") ?? "",
          bars: row.querySelectorAll("rect.bar").length,
          text: row.textContent.trim(),
        }));
      return {
        columns: [...document.querySelectorAll("table.matrix thead th[data-column]")].map(
          (th) => th.getAttribute("data-column") ?? "",
        ),
        throughputRows: rows("#throughput-chart"),
        revocationRows: rows("#revocation-chart"),
        emptyCells: [...document.querySelectorAll("table.matrix tbody tr[data-row]")].flatMap((tr) =>
          [...tr.querySelectorAll("td")]
            .map((td, index) => ({ td, index }))
            .filter(({ td }) => (td as HTMLElement).innerText.trim() === "")
            .map(({ index }) => `${tr.getAttribute("data-row")} × column ${index + 1}`),
        ),
      };
    });
    await page.close();
    if (facts.columns.length === 0) problems.push("the matrix has no column");
    for (const column of facts.columns) {
      const row = facts.throughputRows.find((entry) => entry.column === column);
      if (row === undefined) problems.push(`throughput chart: no row for column ${column}`);
      else if (row.bars !== 1 && !row.text.includes("not measured"))
        problems.push(`throughput chart: column ${column} has ${row.bars} bars and no "not measured"`);
    }
    const bars = facts.throughputRows.reduce((sum, row) => sum + row.bars, 0);
    const measured = facts.throughputRows.filter((row) => !row.text.includes("not measured")).length;
    if (bars !== measured) problems.push(`throughput chart: ${bars} bars for ${measured} measured columns`);
    for (const row of facts.revocationRows) {
      if (row.bars !== 1) problems.push(`revocation chart: ${row.column} has ${row.bars} bars`);
    }
    for (const cell of facts.emptyCells) problems.push(`empty matrix cell: ${cell}`);
  } finally {
    if (options.browser === undefined) await browser.close();
  }
  return problems;
}

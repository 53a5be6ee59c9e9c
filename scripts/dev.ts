// `pnpm dev`: every app and dev-idp under turbo, their output passed through as it comes. When
// every app is up or has failed and one failed, a short summary closes the output, so a refused
// app's message is not left ~100 lines up, under the others' "Ready on" lines.
//
//   node scripts/dev.ts        (the root package.json's `dev`; its pure part: dev-progress.ts)
import { spawn } from "node:child_process";
import { stripVTControlCharacters } from "node:util";
import { DEV_READY, devProgress, devSummary } from "./dev-progress.ts";

const turbo = spawn(
  "turbo",
  ["run", "dev", "--filter=./apps/*", "--filter=@mcp-auth/dev-idp", "--concurrency", "16", "--continue=always"],
  {
    stdio: ["inherit", "pipe", "pipe"],
    // Through a pipe turbo and wrangler would drop their colours; keep them for a terminal.
    env: process.stdout.isTTY ? { ...process.env, FORCE_COLOR: process.env["FORCE_COLOR"] ?? "1" } : process.env,
  },
);
let output = "";
let summarised = false;
/** Passes a stream through and keeps its whole lines that say an app is up or failed. */
function watch(from: NodeJS.ReadableStream, to: NodeJS.WriteStream): void {
  let partial = "";
  from.on("data", (chunk: Buffer) => {
    to.write(chunk);
    if (summarised) return;
    const lines = (partial + stripVTControlCharacters(chunk.toString())).split("\n");
    partial = lines.pop() ?? "";
    // Only these lines matter (a problem check-dev-config lists is indented); request logs are not kept.
    output += lines
      .filter((line) => /Ready on|issuer|ERROR|✗|ELIFECYCLE|:dev: {5}\S/.test(line))
      .map((line) => `${line}\n`)
      .join("");
    const summary = devSummary(devProgress(DEV_READY, output));
    if (summary !== undefined) {
      summarised = true;
      process.stderr.write(`${summary}\n`);
    }
  });
}
watch(turbo.stdout, process.stdout);
watch(turbo.stderr, process.stderr);
// Ctrl-C reaches turbo from the terminal itself; a SIGTERM sent to this process alone is passed on.
process.on("SIGINT", () => undefined);
process.on("SIGTERM", () => {
  turbo.kill("SIGTERM");
});
turbo.on("error", (error) => {
  console.error(`could not start turbo (run \`npx -y pnpm@10.34.9 install\` first): ${error.message}`);
  process.exitCode = 1;
});
turbo.on("exit", (code, signal) => {
  process.exitCode = code ?? (signal === null ? 1 : 128 + 2);
});

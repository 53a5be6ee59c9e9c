// `deploy <app>`: a guided, checked deploy of one app with wrangler (preflight, provision, secrets,
// deploy, smoke test, first admin), and `--teardown` to remove what it created. deploy/README.md.
//
//   npm run deploy -- no-auth --check
//   npm run deploy -- oauth-proxy --workers-dev my-team [--generate-secrets] [--secrets-from FILE]
//   npm run deploy -- oauth-proxy --teardown [--yes]
//
// Exit: 0 done · 1 a problem (each printed with its fix) · 2 usage.
import { enableCompileCache } from "node:module";

enableCompileCache();
const { main } = await import("./lib/cli.ts");
const { terminalAsk } = await import("./lib/terminal.ts");
const dir = process.env["MCP_DEPLOY_DIR"];
process.exitCode = await main(process.argv.slice(2), {
  env: process.env,
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  // Questions only on a terminal; without one, deploy says which option answers them instead.
  ...(process.stdin.isTTY ? { ask: terminalAsk(process.stdin, process.stderr).ask } : {}),
  // MCP_DEPLOY_DIR: where the deploy config and state are written instead of the app's folder (tests).
  ...(dir === undefined ? {} : { dir: () => dir }),
});

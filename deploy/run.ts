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
process.exitCode = await main(process.argv.slice(2), {
  env: process.env,
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});

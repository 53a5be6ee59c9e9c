// Node-only test and dev harness, shared by the e2e suites, the benchmark and the OAuth drivers.
// Never deployed; never imported by Worker code.
export { CHROMIUM_PATH, launchChromium, openPage, type Browser } from "./browser.ts";
export { conformanceCli, type ConformanceSuite } from "./conformance-cli.ts";
export { probeFraming, type FramingProbe } from "./framing.ts";
export { serveOnLoopback, type LoopbackServer } from "./loopback-server.ts";
export { listToolsOverStdio, registryUnreachable, runCommandLine, withoutShellComment } from "./command-line.ts";
export { textTable } from "./cli-table.ts";
export {
  bindingsConfigFile,
  hasLocalD1,
  jsoncToJson,
  withBindings,
  withD1Binding,
  type D1Target,
} from "./d1-binding.ts";
export { CookieJar, type Fetch, type StoredCookie } from "./cookie-jar.ts";
export * from "./dev-idp.ts";
export {
  TAIL_LINES,
  freePort,
  portIsFree,
  runToCompletion,
  spawnGroup,
  stopAllGroups,
  type GroupProcess,
} from "./process.ts";
export {
  HeadlessBrowser,
  authorizeHeadlessly,
  decodeEntities,
  formEntries,
  isSubmitButton,
  parseForms,
  type AuthorizeOptions,
  type AuthorizeResult,
  type DriverStep,
  type FormControl,
  type HtmlForm,
} from "./oauth-driver.ts";
export { freshAddress } from "./limits.ts";
export {
  authorizationUrl,
  authorize,
  discover,
  exchange,
  insecure,
  postMcp,
  refresh,
  register,
  registerFrom,
  revoke,
  signIn,
  tokenRequest,
  type AuthorizeRequest,
  type Peer,
  type Tokens,
} from "./oauth-peer.ts";
export { jsonRpcOf, rawRequest, type RawResponse } from "./raw-http.ts";
export { selfSignedCertificate, type TestCertificate } from "./tls-certificate.ts";
export {
  WranglerStartError,
  runWrangler,
  startWranglerDev,
  wranglerBin,
  wranglerEnv,
  type WranglerDev,
  type WranglerDevOptions,
} from "./wrangler-dev.ts";
export { bearerChallenge, parseWwwAuthenticate, type Challenge } from "./www-authenticate.ts";

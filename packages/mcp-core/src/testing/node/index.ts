// Node-only suites run against an app under `wrangler dev`. The processes, browser and raw HTTP
// helpers they (and the apps' e2e setups) use live in @mcp-auth/dev-harness.
export { describeConcurrentWrites, type ConcurrencyTarget } from "./concurrency.ts";
export { describeTransportAttacks, type TransportTarget } from "./transport-attacks.ts";
export { HeadlessOAuthProvider, type BrowserAnswers } from "./headless-oauth.ts";
export { expectFramingRefused } from "./framing.ts";
export {
  APPLICABLE_SCENARIOS,
  NOT_APPLICABLE_CHECKS,
  NOT_APPLICABLE_SCENARIOS,
  describeConformance,
  forwardWithCredential,
  grade,
  runConformanceScenario,
  type ConformanceCheck,
  type ConformanceScenario,
  type ConformanceSuite,
  type NotApplicable,
  type NotApplicableCheck,
  type ScenarioResult,
} from "./conformance.ts";

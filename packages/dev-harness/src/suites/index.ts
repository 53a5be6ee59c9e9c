// Test suites the apps run against their running server (vitest, Node side). A subpath of
// its own: importing it registers nothing until a describe… function is called, but it needs vitest.
export { TOKEN_ENDPOINT_LOGINS, describeTokenEndpoint, type AuthorizationServerTarget } from "./token-endpoint.ts";
export { DISCOVERY_LOGINS, describeDiscovery } from "./discovery.ts";
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

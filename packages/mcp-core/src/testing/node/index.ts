// Node-only test helpers: end-to-end suites against an app running under `wrangler dev`.
export { describeConcurrentWrites, type ConcurrencyTarget } from "./concurrency.ts";
export { jsonRpcOf, rawRequest, type RawResponse } from "./raw-http.ts";
export { describeTransportAttacks, type TransportTarget } from "./transport-attacks.ts";
export { freePort, startWranglerDev, type WranglerDev, type WranglerDevOptions } from "./wrangler-dev.ts";
export { CHROMIUM_PATH, launchChromium, openPage } from "./browser.ts";

// A results file built by hand for the report tests: every Cell kind, one scenario that errored,
// a value carrying markup and a pipe, a revocation still accepted at the end of its wait.
import { SCHEMA, type CompareResults } from "../lib/results.ts";

/** A complete results object; tests change a copy. */
export function fixtureResults(): CompareResults {
  const columns = [
    { id: "no-auth", label: "no-auth", dir: "apps/no-auth", note: "nobody proves anything" },
    { id: "tv-api-key", label: "token-validation · API key", dir: "apps/token-validation", note: "a key in a header" },
    { id: "oauth-proxy", label: "oauth-proxy", dir: "apps/oauth-proxy", note: "a browser sign-in at dev-idp" },
  ];
  return {
    schema: SCHEMA,
    startedAt: "2026-12-07T21:00:00.000Z",
    finishedAt: "2026-12-07T21:02:40.000Z",
    settings: {
      quick: true,
      rounds: 1,
      seconds: 3,
      concurrency: 8,
      cores: 2,
      node: "v24.21.0",
      wrangler: "4.50.0",
      platform: "linux x64",
      only: null,
    },
    columns,
    rows: [
      {
        id: "anonymous-call",
        group: "security",
        label: "Anonymous tools/call",
        scenario: "anonymous-call",
        explains: "The status a call without any credential gets.",
      },
      {
        id: "replayed-code",
        group: "security",
        label: "Replayed authorization code",
        scenario: "replay",
        explains: "What the token endpoint says to a code used twice.",
      },
      {
        id: "revocable",
        group: "operator",
        label: "What the operator can revoke",
        scenario: "operator",
        explains: "Key, grant, user, or nothing.",
      },
      {
        id: "paste",
        group: "client",
        label: "What the user pastes",
        scenario: "client-config",
        explains: "The config the app's / page prints.",
      },
      {
        id: "bundle",
        group: "cost",
        label: "Gzip bundle",
        scenario: "bundle-size",
        explains: "The Worker's gzip size from wrangler deploy --dry-run.",
      },
    ],
    cells: {
      "anonymous-call": {
        "no-auth": { kind: "measured", value: "200 result", verdict: "bad", detail: "anyone can call tools" },
        "tv-api-key": { kind: "measured", value: "401 invalid_token", verdict: "good" },
        "oauth-proxy": { kind: "measured", value: "401 invalid_token", verdict: "good" },
      },
      "replayed-code": {
        "no-auth": { kind: "not_applicable", reason: "no OAuth" },
        "tv-api-key": { kind: "not_applicable", reason: "no OAuth" },
        "oauth-proxy": { kind: "not_measured", reason: "dev-idp did not start: port 8788 in use" },
      },
      revocable: {
        "no-auth": { kind: "measured", value: "nothing", verdict: "neutral" },
        "tv-api-key": { kind: "measured", value: "key | per caller" },
        "oauth-proxy": { kind: "measured", value: "grant", verdict: "good" },
      },
      paste: {
        "no-auth": { kind: "measured", value: "URL only" },
        "tv-api-key": { kind: "measured", value: "<script>alert(1)</script>", detail: "from a hostile <b>server</b>" },
        "oauth-proxy": { kind: "measured", value: "URL + browser flow" },
      },
      bundle: {
        "no-auth": { kind: "measured", value: "41 KiB" },
        "tv-api-key": { kind: "measured", value: "52 KiB" },
        "oauth-proxy": { kind: "measured", value: "see https://example.com/x" },
      },
    },
    throughput: [
      { column: "no-auth", reqPerSec: 900, p50Ms: 7.5, p99Ms: 30.2, ratioToBaseline: 1, ratioToAgent: 3.1 },
      { column: "tv-api-key", reqPerSec: 850, p50Ms: 8.1, p99Ms: 33, ratioToBaseline: 0.94, ratioToAgent: 2.9 },
      { column: "oauth-proxy", reqPerSec: 700, p50Ms: 10, p99Ms: 41, ratioToBaseline: 0.78, ratioToAgent: null },
    ],
    revocations: [
      { column: "tv-api-key", action: "keys revoke", ms: 120, waitedMs: 10_000 },
      { column: "oauth-proxy", action: "upstream grant revoked at dev-idp", ms: null, waitedMs: 10_000 },
    ],
    flows: [
      {
        column: "oauth-proxy",
        phases: [
          { name: "discovery", ms: 40 },
          { name: "registration", ms: 25 },
          { name: "sign-in", ms: 300 },
          { name: "consent", ms: 120 },
          { name: "token", ms: 30 },
          { name: "first call", ms: 15 },
        ],
      },
    ],
  };
}

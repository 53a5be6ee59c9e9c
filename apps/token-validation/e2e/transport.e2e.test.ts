import { describeConcurrentWrites, describeTransportAttacks } from "@mcp-auth/mcp-core/testing/node";
import { inject } from "vitest";
import { createKey, hs256Token, type CreatedKey } from "./helpers.ts";

// The transport attack cases and the no-lost-write check on the "keys" instance, authenticated.
// wrangler.jsonc: 600 requests per 60 s per address, and 600 per 60 s per API key.

/**
 * Two full-access keys of one owner (one notebook), used in turn. The attack suite sends ~900
 * authenticated requests in one window (its address flood alone lets 600 through); one key
 * would hit the per-key limit first and turn the per-address 429 under test into a per-key one.
 * That limit has its own test (api-keys.e2e.test.ts).
 */
let keys: Promise<CreatedKey[]> | undefined;
let turn = 0;
async function keyHeaders(): Promise<Record<string, string>> {
  keys ??= (async () => {
    const stateDir = inject("keys").stateDir;
    return [await createKey(stateDir, "transport-suite"), await createKey(stateDir, "transport-suite")];
  })();
  const all = await keys;
  const key = all[turn++ % all.length];
  // Only the credential: the suite sets each request's address itself.
  return { authorization: `Bearer ${key?.key ?? ""}` };
}

describeTransportAttacks({ origin: () => inject("keys").origin, headers: keyHeaders, rateLimit: 600 });

// 200 clients make ~700 requests with one credential: an HS256 JWT, which has no per-credential
// limit (an API key would be limited at 600 a minute, by design).
describeConcurrentWrites({
  origin: () => inject("keys").origin,
  headers: async () => ({ authorization: `Bearer ${await hs256Token({ sub: "concurrency-suite" })}` }),
  clients: 200,
});

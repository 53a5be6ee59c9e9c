// GET /password?n=N and /passkey?n=N: N sequential verifications of one fixed, valid credential,
// exactly as full-oauth-provider verifies them. Workers' clocks stand still while code runs, so
// the cost is measured from outside: the time of n=N minus the time of n=0, over N
// (bench/lib/verify-cost.ts).
import { hashPassword, pepperFromSecret, verifyPassword, type Peppers } from "@mcp-auth/auth-common/accounts";
import { SoftwareAuthenticator } from "@mcp-auth/dev-harness/webauthn";
import { verifyAuthenticationResponse, type AuthenticationResponseJSON } from "@simplewebauthn/server";

const ORIGIN = "https://bench.example";
const RP_ID = "bench.example";
const PASSWORD = "a bench-only passphrase, never used";
const CHALLENGE = "YmVuY2gtb25seS1jaGFsbGVuZ2UtMDEyMzQ1Njc4OQ";
const MAX_N = 500;

interface Fixtures {
  peppers: Peppers;
  stored: string;
  assertion: AuthenticationResponseJSON;
  credential: { id: string; publicKey: Uint8Array<ArrayBuffer>; counter: number };
}

async function prepare(): Promise<Fixtures> {
  const peppers = { current: await pepperFromSecret("bench-only-pepper-for-verify-cost-0123456789") };
  const authenticator = new SoftwareAuthenticator();
  return {
    peppers,
    stored: await hashPassword(PASSWORD, peppers),
    assertion: await authenticator.assert({ challenge: CHALLENGE }, ORIGIN, RP_ID),
    // Counter 0 stored, 1 asserted: every repetition passes the counter check.
    credential: { id: authenticator.id, publicKey: new Uint8Array(await authenticator.cosePublicKey()), counter: 0 },
  };
}

let fixtures: Promise<Fixtures> | undefined;

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const n = Math.min(Math.max(Number.parseInt(url.searchParams.get("n") ?? "0", 10) || 0, 0), MAX_N);
    const f = await (fixtures ??= prepare());
    let verified = 0;
    for (let i = 0; i < n; i++) {
      if (url.pathname === "/password") {
        if ((await verifyPassword(f.stored, PASSWORD, f.peppers)).ok) verified++;
      } else if (url.pathname === "/passkey") {
        const result = await verifyAuthenticationResponse({
          response: f.assertion,
          expectedChallenge: CHALLENGE,
          expectedOrigin: ORIGIN,
          expectedRPID: RP_ID,
          credential: f.credential,
          requireUserVerification: true,
        });
        if (result.verified) verified++;
      } else {
        return new Response("GET /password?n=N or /passkey?n=N", { status: 404 });
      }
    }
    return Response.json({ n, verified });
  },
} satisfies ExportedHandler;

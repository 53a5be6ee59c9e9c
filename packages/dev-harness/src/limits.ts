// Tests against the apps' rate limits, without flakes. Runs in Node and in workerd.
// - The apps limit sign-ins, registrations and token calls per address; a test that shares an
//   address with another test inherits its count, and fails only when the two happen to collide.
// - The limiters count in fixed windows aligned to the wall clock (Cloudflare's and miniflare's);
//   a test that counts up to a limit fails only when a window happens to roll over mid-count.

/** Hosts .1–.254 of the 512 /24s in 198.18.0.0/15, the benchmarking block: never a real client. */
const SPACE = 512 * 254;
let next = Math.floor(Math.random() * SPACE);

/**
 * An address no other call in this module instance returns, from a random starting point so that
 * separate instances (test files, processes) rarely meet, and then only once per address. Fixed
 * addresses a test picks on purpose lie outside this block.
 */
export function freshAddress(): string {
  next = (next + 1) % SPACE;
  const block = Math.floor(next / 254);
  return `198.${18 + (block >> 8)}.${block & 255}.${(next % 254) + 1}`;
}

/**
 * Waits, if needed, until the next `marginMs` fall inside one `periodSeconds` window of a
 * clock-aligned limiter, so a test that counts up to a limit sees one window. Waits at most
 * `marginMs` (and rarely: `marginMs` out of every period).
 */
export async function awayFromWindowEdge(periodSeconds: number, marginMs = 5000): Promise<void> {
  const period = periodSeconds * 1000;
  const left = period - (Date.now() % period);
  if (left < marginMs) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

import type { RateLimiter } from "../src/rate-limit.ts";

/** Runs `fn` and returns what it threw; fails the test when it returns normally. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to throw, but it returned");
}

/** Awaits `promise` and returns what it rejected with; fails the test when it resolves. */
export async function rejected(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the promise to reject, but it resolved");
}

/** A JSON-RPC error body as `jsonRpcErrorResponse` writes it. */
export function jsonRpcError(message: string, code = -32000) {
  return { jsonrpc: "2.0", error: { code, message }, id: null };
}

/** A stand-in for the Workers Rate Limiting binding: records keys, answers from a script. */
export class FakeLimiter implements RateLimiter {
  readonly keys: string[] = [];
  private readonly answers: boolean[];
  constructor(...answers: boolean[]) {
    this.answers = answers;
  }
  async limit({ key }: { key: string }): Promise<{ success: boolean }> {
    this.keys.push(key);
    const success = this.answers.shift();
    if (success === undefined) throw new Error("FakeLimiter: no answer scripted");
    return { success };
  }
}

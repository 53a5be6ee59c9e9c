// One MCP tool call through a real SDK client, as a learner's client makes it: the URL, perhaps an
// Authorization header. Also `workshop call` (run.ts) for learners without a client of their own.
import { connectClient, resultText, type ClientKind, type ToolCallResult } from "@mcp-auth/mcp-core/testing";

/** What a call returned, or why it could not be made (a refused credential, a server that is down). */
export type CallOutcome = { ok: true; result: ToolCallResult; text: string } | { ok: false; error: string };

/** Calls `tool` with `args` at `url` (an app's /mcp) over `kind`, sending `bearer` when given; never throws. */
export async function callTool(
  url: string,
  tool: string,
  args: Record<string, unknown> = {},
  options: { bearer?: string; kind?: ClientKind } = {},
): Promise<CallOutcome> {
  try {
    const client = await connectClient(options.kind ?? "sdk-v2 (2026-07-28)", {
      url: new URL(url),
      ...(options.bearer === undefined ? {} : { headers: { authorization: `Bearer ${options.bearer}` } }),
    });
    try {
      const result = await client.callTool(tool, args);
      return { ok: true, result, text: resultText(result) };
    } finally {
      await client.close();
    }
  } catch (error) {
    // A credential must never reach a message: the SDK's errors do not carry headers, but be sure.
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, error: options.bearer === undefined ? message : message.replaceAll(options.bearer, "[key]") };
  }
}

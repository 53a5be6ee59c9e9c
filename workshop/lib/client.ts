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
    const message = `${error instanceof Error ? error.message : String(error)}${await challengeOf(url, options.bearer)}`;
    // A credential must never reach a message: the SDK's errors do not carry headers, but be sure.
    return { ok: false, error: options.bearer === undefined ? message : message.replaceAll(options.bearer, "[key]") };
  }
}

/**
 * What the server told a refused client, which the SDK's error leaves out: " (HTTP 401,
 * WWW-Authenticate: Bearer …)" for an initialize sent the same way, "" when it was not a 401/403
 * or nothing answered.
 */
async function challengeOf(url: string, bearer: string | undefined): Promise<string> {
  try {
    const answer = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }),
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "workshop", version: "1.0.0" } },
      }),
    });
    await answer.body?.cancel();
    const challenge = answer.headers.get("www-authenticate");
    if ((answer.status !== 401 && answer.status !== 403) || challenge === null) return "";
    return ` (HTTP ${answer.status}, WWW-Authenticate: ${challenge})`;
  } catch {
    return "";
  }
}

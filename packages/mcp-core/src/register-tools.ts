import type { CallToolResult, McpServer } from "@modelcontextprotocol/server";
import type { Caller } from "./caller.ts";
import { allows } from "./scopes.ts";
import type { ToolDefinition, ToolDeps } from "./tools/tool.ts";

function errorResult(message: string): CallToolResult {
  return { content: [{ type: "text", text: message }], isError: true };
}

/**
 * A line the server adds to every successful tool result for this caller (e.g. "this server
 * requires a credential from …" to an anonymous one), or `undefined` for none.
 */
export type ToolNotice = (caller: Caller) => string | undefined;

/** What varies per request besides the caller: the calls answered as denied, the notice. */
export interface RegisterToolsOptions {
  /** Tools the caller is calling without their scope, on a pattern that cannot step up. */
  deniedCalls?: ReadonlySet<string> | undefined;
  notice?: ToolNotice | undefined;
}

/**
 * Registers every tool the caller's scopes allow. A tool in `deniedCalls` (one the caller is
 * calling without the scope, on a pattern that cannot step up) is registered for this one
 * request so the call gets a clear tool error instead of "tool not found"; it is never listed
 * because a `tools/list` request never names a tool. A `notice` for the caller becomes one more
 * text block after the tool's own content: clients that read `content[0]` and
 * `structuredContent` see exactly what they saw without it; errors carry no notice.
 */
export function registerTools(
  server: McpServer,
  tools: readonly ToolDefinition[],
  deps: ToolDeps,
  options: RegisterToolsOptions = {},
): void {
  const deniedCalls = options.deniedCalls ?? new Set<string>();
  const notice = options.notice?.(deps.caller);
  for (const tool of tools) {
    const permitted = allows(deps.caller.scopes, tool.scope);
    if (!permitted && !deniedCalls.has(tool.name)) continue;
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.input,
        outputSchema: tool.output,
        annotations: tool.annotations,
      },
      async (input: unknown): Promise<CallToolResult> => {
        if (!permitted) {
          return errorResult(
            `${tool.name} needs the scope ${tool.scope ?? ""}, which this server does not grant you (your scopes: ${deps.caller.scopes.join(" ") || "none"}).`,
          );
        }
        const outcome = await tool.handler(tool.input.parse(input), deps);
        if (!outcome.ok) return errorResult(outcome.message);
        return {
          content: [
            { type: "text", text: outcome.text ?? JSON.stringify(outcome.output) },
            ...(notice === undefined ? [] : [{ type: "text" as const, text: notice }]),
          ],
          structuredContent: outcome.output,
        };
      },
    );
  }
}

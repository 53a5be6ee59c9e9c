import type { CallToolResult, McpServer } from "@modelcontextprotocol/server";
import { allows } from "./scopes.ts";
import type { ToolDefinition, ToolDeps } from "./tools/tool.ts";

function errorResult(message: string): CallToolResult {
  return { content: [{ type: "text", text: message }], isError: true };
}

/**
 * Registers every tool the caller's scopes allow. A tool in `deniedCalls` (one the caller is
 * calling without the scope, on a pattern that cannot step up) is registered for this one
 * request so the call gets a clear tool error instead of "tool not found"; it is never listed
 * because a `tools/list` request never names a tool.
 */
export function registerTools(
  server: McpServer,
  tools: readonly ToolDefinition[],
  deps: ToolDeps,
  deniedCalls: ReadonlySet<string> = new Set(),
): void {
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
          content: [{ type: "text", text: outcome.text ?? JSON.stringify(outcome.output) }],
          structuredContent: outcome.output,
        };
      },
    );
  }
}

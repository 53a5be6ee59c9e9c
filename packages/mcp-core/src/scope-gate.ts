import { allows, type Scope } from "./scopes.ts";
import { TOOLS } from "./tools/index.ts";

/** Tools a JSON-RPC message (or batch) calls that the caller's scopes do not allow. */
export interface ScopeShortfall {
  tools: Set<string>;
  /** Every scope the denied calls need, in one challenge (MCP 2026 auth §11.1.1). */
  scopes: Scope[];
}

function calledToolName(message: unknown): string | undefined {
  if (typeof message !== "object" || message === null || !("method" in message) || message.method !== "tools/call")
    return undefined;
  if (!("params" in message) || typeof message.params !== "object" || message.params === null) return undefined;
  const name = "name" in message.params ? message.params.name : undefined;
  return typeof name === "string" ? name : undefined;
}

/**
 * Call-time scope enforcement: finds `tools/call` requests for tools the caller may not use.
 * Returns `undefined` when nothing is denied. Unknown tool names are left to the SDK.
 */
export function findScopeShortfall(parsedBody: unknown, scopes: readonly string[]): ScopeShortfall | undefined {
  const messages: unknown[] = Array.isArray(parsedBody) ? parsedBody : [parsedBody];
  const tools = new Set<string>();
  const needed = new Set<Scope>();
  for (const message of messages) {
    const tool = TOOLS.find((candidate) => candidate.name === calledToolName(message));
    if (tool?.scope !== undefined && !allows(scopes, tool.scope)) {
      tools.add(tool.name);
      needed.add(tool.scope);
    }
  }
  return tools.size === 0 ? undefined : { tools, scopes: [...needed] };
}

import { McpServer } from "@modelcontextprotocol/server";
import { registerTools, type RegisterToolsOptions } from "./register-tools.ts";
import { TOOLS } from "./tools/index.ts";
import type { ToolDeps } from "./tools/tool.ts";

/** How a server introduces itself in `initialize` / `server/discover`. */
export interface ServerInfo {
  name: string;
  version: string;
  instructions?: string;
}

/**
 * Builds a fresh `McpServer` for one request (never a module singleton: a shared server once
 * leaked responses across clients, GHSA-345p-7cg4-v4c7) with the tools this caller may use.
 */
export function buildServer(info: ServerInfo, deps: ToolDeps, options: RegisterToolsOptions = {}): McpServer {
  const server = new McpServer(
    { name: info.name, version: info.version },
    { capabilities: { tools: {} }, ...(info.instructions === undefined ? {} : { instructions: info.instructions }) },
  );
  registerTools(server, TOOLS, deps, options);
  return server;
}

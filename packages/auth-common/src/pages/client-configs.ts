/** One MCP client's way of being pointed at a server. */
export interface ClientConfig {
  client: string;
  where: string;
  snippet: string;
}

/**
 * Copy-paste configurations for the common MCP clients, for a server at `mcpUrl` that wants
 * `headers` (e.g. `Authorization: Bearer <key>`) or nothing (OAuth apps and no-auth).
 * Placeholders in header values stay placeholders: the page never shows a real credential.
 */
export function clientConfigs(
  serverName: string,
  mcpUrl: string,
  headers: Readonly<Record<string, string>> = {},
  options: { signIn?: boolean } = {},
): ClientConfig[] {
  const headerEntries = Object.entries(headers);
  const withHeaders = headerEntries.length > 0 ? { headers: { ...headers } } : {};
  const json = (value: unknown) => JSON.stringify(value, null, 2);
  const claudeHeaderFlags = headerEntries.map(([name, value]) => ` \\\n  --header "${name}: ${value}"`).join("");
  const remoteHeaderArgs = headerEntries.flatMap(([name, value]) => ["--header", `${name}:${value}`]);
  return [
    {
      client: "Claude Code",
      where: "terminal",
      snippet: `claude mcp add --transport http ${serverName} ${mcpUrl}${claudeHeaderFlags}`,
    },
    {
      client: "Claude Desktop",
      where: "claude_desktop_config.json (through mcp-remote)",
      snippet: json({
        mcpServers: { [serverName]: { command: "npx", args: ["-y", "mcp-remote", mcpUrl, ...remoteHeaderArgs] } },
      }),
    },
    {
      client: "Cursor",
      where: "~/.cursor/mcp.json",
      snippet: json({ mcpServers: { [serverName]: { url: mcpUrl, ...withHeaders } } }),
    },
    {
      client: "VS Code",
      where: ".vscode/mcp.json",
      snippet: json({ servers: { [serverName]: { type: "http", url: mcpUrl, ...withHeaders } } }),
    },
    options.signIn === true
      ? {
          // The CLI mode cannot open a browser to sign in; the web UI runs the OAuth flow.
          client: "MCP Inspector",
          where: "web UI: choose Streamable HTTP, paste the URL, Connect, and sign in in the browser",
          snippet: `npx @modelcontextprotocol/inspector\n# Server URL: ${mcpUrl}`,
        }
      : {
          client: "MCP Inspector",
          where: "terminal (CLI mode; drop --cli for the web UI)",
          snippet: `npx @modelcontextprotocol/inspector --cli ${mcpUrl} --transport http --method tools/list${headerEntries
            .map(([name, value]) => ` --header "${name}: ${value}"`)
            .join("")}`,
        },
    {
      client: "mcp-remote",
      where: "terminal (stdio bridge for clients without HTTP support)",
      snippet: [
        "npx",
        "-y",
        "mcp-remote",
        mcpUrl,
        ...remoteHeaderArgs.map((arg) => (arg.includes(" ") ? `"${arg}"` : arg)),
      ].join(" "),
    },
  ];
}

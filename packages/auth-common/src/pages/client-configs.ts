/** One MCP client's way of being pointed at a server. */
export interface ClientConfig {
  client: string;
  /** Where the snippet goes, and what it needs that the snippet cannot say (a Node version). */
  where: string;
  snippet: string;
  /** What a user of this client should know that its snippet cannot show, as a sentence. */
  note?: string;
}

/**
 * The MCP Inspector version the pages print. Pinned: without a version, `npx` on Node 20 picks
 * the newest release whose `engines` it satisfies (0.15.0, which has no `--header`). Inspector 2
 * declares Node ≥ 22.19, so the snippet says so. The no-auth and token-validation page e2e suites
 * run the printed command against the running app.
 */
export const INSPECTOR_PACKAGE = "@modelcontextprotocol/inspector@2.12.0";

/** The mcp-remote version the pages print (declares no `engines`; runs on the README's Node 20). */
export const MCP_REMOTE_PACKAGE = "mcp-remote@0.15.1";

/** The Node version Inspector 2 declares in `engines`. */
const INSPECTOR_NODE = "Node ≥ 22.19";

/**
 * Copy-paste configurations for the common MCP clients, for a server at `mcpUrl` that wants
 * `headers` (e.g. `Authorization: Bearer <key>`) or nothing (OAuth apps and no-auth).
 * Placeholders in header values stay placeholders: the page never shows a real credential.
 * Every package run through `npx` is pinned to a version checked against the apps.
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
  const headerFlags = headerEntries.map(([name, value]) => ` --header "${name}: ${value}"`).join("");
  // mcp-remote's documented form: no space after the colon (some clients split args on spaces).
  const remoteHeaderArgs = headerEntries.flatMap(([name, value]) => ["--header", `${name}:${value}`]);
  return [
    {
      client: "Claude Code",
      where: "terminal",
      snippet: `claude mcp add --transport http ${serverName} ${mcpUrl}${headerFlags}`,
    },
    {
      client: "Claude Desktop",
      where: "claude_desktop_config.json (through mcp-remote)",
      snippet: json({
        mcpServers: {
          [serverName]: { command: "npx", args: ["-y", MCP_REMOTE_PACKAGE, mcpUrl, ...remoteHeaderArgs] },
        },
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
          // The web UI runs the whole OAuth flow, step-up included; the CLI needs a browser to be
          // opened for it and cannot step up, which the note says.
          client: "MCP Inspector",
          where: `terminal, ${INSPECTOR_NODE}: opens the web UI; Connect, then sign in in the browser`,
          snippet: `npx -y ${INSPECTOR_PACKAGE} --transport http --server-url ${mcpUrl}${headerFlags}`,
          note:
            "CLI mode (--cli … --method tools/list) signs in only with MCP_AUTO_OPEN_ENABLED=true in its " +
            "environment, which lets it open your browser for the sign-in (it does not by default when " +
            "run headless). It does not step up: with a read-only grant, calling notes_add answers " +
            "“Tool 'notes_add' not found” because the tool is hidden from that grant; the web UI asks " +
            "for notes:write on a new consent page instead.",
        }
      : {
          client: "MCP Inspector",
          where: `terminal, ${INSPECTOR_NODE} (CLI mode: lists the tools)`,
          snippet: `npx -y ${INSPECTOR_PACKAGE} --cli ${mcpUrl} --transport http --method tools/list${headerFlags}`,
        },
    {
      client: "mcp-remote",
      where: "terminal (stdio bridge for clients without HTTP support)",
      snippet: [
        "npx",
        "-y",
        MCP_REMOTE_PACKAGE,
        mcpUrl,
        ...remoteHeaderArgs.map((arg) => (arg.includes(" ") ? `"${arg}"` : arg)),
      ].join(" "),
    },
  ];
}

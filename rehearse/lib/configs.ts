// The config change a user applies to their MCP client at a migration step: the snippets the
// apps' own `/` pages print (auth-common's clientConfigs), before and after, as a unified diff.
import { clientConfigs } from "@mcp-auth/auth-common";
import type { ConfigChange } from "./record.ts";

/** The clients whose config files a rehearsal shows. */
export const CONFIG_CLIENTS = ["Claude Desktop", "Cursor", "VS Code"] as const;

/** How a client reaches a server: its /mcp URL and the headers it sends (none for OAuth or no-auth). */
export interface ClientSetup {
  mcpUrl: string;
  headers?: Record<string, string>;
}

/** The config changes for one person moving from `before` to `after`, one per client. */
export function configChanges(
  who: string,
  serverName: string,
  before: ClientSetup,
  after: ClientSetup,
): ConfigChange[] {
  const old = clientConfigs(serverName, before.mcpUrl, before.headers ?? {});
  const next = clientConfigs(serverName, after.mcpUrl, after.headers ?? {});
  return CONFIG_CLIENTS.map((client) => {
    const from = old.find((config) => config.client === client);
    const to = next.find((config) => config.client === client);
    if (from === undefined || to === undefined) throw new Error(`no ${client} config is printed by the pages`);
    return {
      who,
      client,
      where: to.where,
      before: from.snippet,
      after: to.snippet,
      diff: unifiedDiff(from.snippet, to.snippet),
    };
  });
}

/**
 * A line diff (longest common subsequence) in unified style without hunk headers: ` ` kept,
 * `-` removed, `+` added. Snippets are a dozen lines, so the quadratic table is nothing.
 */
export function unifiedDiff(before: string, after: string): string {
  const a = before.split("\n");
  const b = after.split("\n");
  const table = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      const row = table[i] ?? [];
      row[j] = a[i] === b[j] ? (table[i + 1]?.[j + 1] ?? 0) + 1 : Math.max(table[i + 1]?.[j] ?? 0, row[j + 1] ?? 0);
    }
  }
  const lines: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      lines.push(`  ${a[i] ?? ""}`);
      i++;
      j++;
    } else if (i < a.length && (j === b.length || (table[i + 1]?.[j] ?? 0) >= (table[i]?.[j + 1] ?? 0))) {
      // Removals before additions, as diff(1) prints a changed line.
      lines.push(`- ${a[i] ?? ""}`);
      i++;
    } else {
      lines.push(`+ ${b[j] ?? ""}`);
      j++;
    }
  }
  return lines.join("\n");
}

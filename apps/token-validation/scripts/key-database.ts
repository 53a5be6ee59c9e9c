// Opens the app's KEYS_DB for the key CLI through wrangler's binding proxy (`getPlatformProxy`):
// one local workerd per CLI run instead of one `wrangler` process per SQL command, and real bound
// parameters instead of SQL text. Locally it opens the same SQLite state a running `wrangler dev`
// uses (default `.wrangler/state`, or `--persist-to`), so a change holds from the next request.
// With --remote the binding is a remote binding to the deployed database (after `wrangler login`).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { z } from "zod";
import type { KeyDatabase } from "../src/key-store.ts";

export const APP_DIR = join(import.meta.dirname, "..");

/** Where the database is: local (optionally another state directory) or the deployed one. */
export interface KeyDatabaseTarget {
  remote: boolean;
  persistTo?: string | undefined;
}

/** A failure the CLI reports as one sentence (no stack trace): what is wrong and what to run. */
export class KeyDatabaseUnavailable extends Error {
  override readonly name = "KeyDatabaseUnavailable";
}

/** Tells "the tables are missing" (migrations not applied) from other failures. */
export function isMissingTables(error: unknown): boolean {
  return error instanceof Error && /no such table: api_key/.test(error.message);
}

/**
 * The advice when local state has no key tables yet: `pnpm dev` applies the migrations first.
 */
export function missingTablesAdvice(target: KeyDatabaseTarget): string {
  if (target.remote) {
    return "the deployed database has no key tables: run `npx -y pnpm@10.34.9 --filter @mcp-auth/token-validation exec wrangler d1 migrations apply KEYS_DB --remote` (or that app's `deploy` script)";
  }
  const persist = target.persistTo === undefined ? "" : ` --persist-to ${target.persistTo}`;
  return `no local key database yet: run \`npx -y pnpm@10.34.9 dev\` once (it applies the migrations), or \`npx -y pnpm@10.34.9 --filter @mcp-auth/token-validation exec wrangler d1 migrations apply KEYS_DB --local${persist}\``;
}

/** The part of the app's wrangler.jsonc the CLI needs. */
const appConfigSchema = z.object({
  name: z.string(),
  compatibility_date: z.string(),
  d1_databases: z.array(z.object({ binding: z.string(), database_name: z.string(), database_id: z.string() })),
});

/** The index just past the JSON string literal that starts at `start` (a `"`). */
function stringEnd(text: string, start: number): number {
  let end = start + 1;
  while (end < text.length && text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
  return end + 1;
}

/**
 * JSON with comments and trailing commas (wrangler.jsonc) to plain JSON: drops `//` and `/* *\/`
 * comments, then commas before `}` or `]`, never touching string contents.
 */
export function jsoncToJson(text: string): string {
  let bare = "";
  for (let i = 0; i < text.length;) {
    if (text[i] === '"') {
      const end = stringEnd(text, i);
      bare += text.slice(i, end);
      i = end;
    } else if (text.startsWith("//", i)) {
      i = text.indexOf("\n", i) === -1 ? text.length : text.indexOf("\n", i);
    } else if (text.startsWith("/*", i)) {
      i = text.indexOf("*/", i) === -1 ? text.length : text.indexOf("*/", i) + 2;
    } else {
      bare += text.charAt(i);
      i++;
    }
  }
  let json = "";
  for (let i = 0; i < bare.length;) {
    if (bare[i] === '"') {
      const end = stringEnd(bare, i);
      json += bare.slice(i, end);
      i = end;
    } else {
      if (bare[i] !== "," || !/^\s*[}\]]/.test(bare.slice(i + 1))) json += bare.charAt(i);
      i++;
    }
  }
  return json;
}

/**
 * Runs `use` with the KEYS_DB binding and disposes of the proxy afterwards. The proxy gets a
 * config of its own holding only KEYS_DB (same database id, so the same local file): the app's
 * Durable Objects and rate limiters are not started for a CLI.
 */
export async function withKeyDatabase<T>(target: KeyDatabaseTarget, use: (db: KeyDatabase) => Promise<T>): Promise<T> {
  // Loaded only now: wrangler is large, and usage errors are reported without it.
  const { getPlatformProxy } = await import("wrangler");
  const appConfig = appConfigSchema.parse(
    JSON.parse(jsoncToJson(readFileSync(join(APP_DIR, "wrangler.jsonc"), "utf8"))),
  );
  const database = appConfig.d1_databases.find((entry) => entry.binding === "KEYS_DB");
  if (database === undefined) throw new Error("wrangler.jsonc has no KEYS_DB binding");
  const stateDir = resolve(target.persistTo ?? join(APP_DIR, ".wrangler", "state"));
  if (!target.remote && !existsSync(join(stateDir, "v3", "d1"))) {
    throw new KeyDatabaseUnavailable(missingTablesAdvice(target));
  }
  const configDir = mkdtempSync(join(tmpdir(), "mcp-keys-cli-"));
  try {
    const configPath = join(configDir, "wrangler.json");
    writeFileSync(
      configPath,
      JSON.stringify({
        name: `${appConfig.name}-keys-cli`,
        compatibility_date: appConfig.compatibility_date,
        d1_databases: [
          {
            binding: "KEYS_DB",
            database_name: database.database_name,
            database_id: database.database_id,
            ...(target.remote ? { remote: true } : {}),
          },
        ],
      }),
    );
    const proxy = await getPlatformProxy<{ KEYS_DB: KeyDatabase }>({
      configPath,
      envFiles: [],
      persist: { path: join(stateDir, "v3") },
      remoteBindings: target.remote,
    });
    try {
      return await use(proxy.env.KEYS_DB);
    } finally {
      await proxy.dispose();
    }
  } finally {
    rmSync(configDir, { recursive: true, force: true });
  }
}

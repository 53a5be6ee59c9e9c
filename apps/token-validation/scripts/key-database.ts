// Opens the app's KEYS_DB for the key CLI through wrangler's binding proxy (dev-harness's
// `withD1Binding`: the same SQLite state a running `wrangler dev` uses, or with --remote the
// deployed database), and says what to run when there is no database yet.
import { hasLocalD1, withD1Binding } from "@mcp-auth/dev-harness";
import { join } from "node:path";
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

/**
 * Runs `use` with the KEYS_DB binding (the shared binding proxy); refuses with advice when the
 * local state has no database yet.
 */
export async function withKeyDatabase<T>(target: KeyDatabaseTarget, use: (db: KeyDatabase) => Promise<T>): Promise<T> {
  if (!target.remote && !hasLocalD1(APP_DIR, target)) throw new KeyDatabaseUnavailable(missingTablesAdvice(target));
  return withD1Binding({ ...target, appDir: APP_DIR, binding: "KEYS_DB" }, use);
}

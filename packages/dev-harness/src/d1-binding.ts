// Opens an app's D1 database for a Node CLI through wrangler's binding proxy (`getPlatformProxy`):
// one local workerd per CLI run instead of one `wrangler` process per SQL command, and real bound
// parameters instead of SQL text. Locally it opens the same SQLite state a running `wrangler dev`
// uses (default `.wrangler/state`, or `--persist-to`), so a change holds from the next request.
// With `remote` the binding is a remote binding to the deployed database (after `wrangler login`).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** Where the database is: local (optionally another state directory) or the deployed one. */
export interface D1Target {
  remote: boolean;
  persistTo?: string | undefined;
}

/** The index just past the JSON string literal that starts at `start` (a `"`). */
function stringEnd(text: string, start: number): number {
  let end = start + 1;
  while (end < text.length && text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
  return end + 1;
}

/**
 * The wrangler config whose binding ids a CLI opens: remotely the deployed Worker's, which
 * `npm run deploy` keeps in the git-ignored wrangler.deploy.jsonc (wrangler.jsonc holds dev
 * placeholders); locally, and remotely before any guided deploy, wrangler.jsonc.
 */
export function bindingsConfigFile(appDir: string, remote: boolean): string {
  const deployed = join(appDir, "wrangler.deploy.jsonc");
  return remote && existsSync(deployed) ? deployed : join(appDir, "wrangler.jsonc");
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

interface AppConfig {
  name: string;
  compatibility_date: string;
  d1_databases?: { binding: string; database_name: string; database_id: string }[];
  kv_namespaces?: { binding: string; id: string }[];
}

/** Whether the local state directory has any D1 database yet (`wrangler d1 migrations apply --local` ran). */
export function hasLocalD1(appDir: string, target: D1Target): boolean {
  return existsSync(join(resolve(target.persistTo ?? join(appDir, ".wrangler", "state")), "v3", "d1"));
}

/**
 * Runs `use` with the app's D1 binding `binding` and disposes of the proxy afterwards. The proxy
 * gets a config of its own holding only that database (same id, so the same local file): the
 * app's Durable Objects and rate limiters are not started for a CLI.
 */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the binding's type (a structural D1 slice), which the proxy cannot know
export async function withD1Binding<Db, T>(
  options: D1Target & { appDir: string; binding: string },
  use: (db: Db) => Promise<T>,
): Promise<T> {
  return withBindings<{ db: Db }, T>({ ...options, d1: options.binding }, (env) => use(env.db));
}

/**
 * {@link withD1Binding} with the app's KV namespace `kv` as well (an OAuth app's `OAUTH_KV`):
 * `use` gets `{ db, kv }`; with `kv` and no `d1` (an app without a database, oauth-proxy), `{ kv }`.
 */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the bindings' types (structural slices), which the proxy cannot know
export async function withBindings<Env extends { db?: unknown; kv?: unknown }, T>(
  options: D1Target & { appDir: string; d1?: string; kv?: string },
  use: (env: Env) => Promise<T>,
): Promise<T> {
  if (options.d1 === undefined && options.kv === undefined) throw new Error("withBindings needs d1, kv or both");
  // Loaded only now: wrangler is large, and usage errors are reported without it.
  const { getPlatformProxy } = await import("wrangler");
  const appConfig = JSON.parse(
    jsoncToJson(readFileSync(bindingsConfigFile(options.appDir, options.remote), "utf8")),
  ) as AppConfig;
  const database =
    options.d1 === undefined ? undefined : appConfig.d1_databases?.find((entry) => entry.binding === options.d1);
  if (options.d1 !== undefined && database === undefined)
    throw new Error(`wrangler.jsonc has no ${options.d1} binding`);
  const namespace =
    options.kv === undefined ? undefined : appConfig.kv_namespaces?.find((entry) => entry.binding === options.kv);
  if (options.kv !== undefined && namespace === undefined)
    throw new Error(`wrangler.jsonc has no ${options.kv} binding`);
  const stateDir = resolve(options.persistTo ?? join(options.appDir, ".wrangler", "state"));
  const configDir = mkdtempSync(join(tmpdir(), "mcp-d1-cli-"));
  try {
    const configPath = join(configDir, "wrangler.json");
    writeFileSync(
      configPath,
      JSON.stringify({
        name: `${appConfig.name}-cli`,
        compatibility_date: appConfig.compatibility_date,
        ...(database === undefined
          ? {}
          : {
              d1_databases: [
                {
                  binding: database.binding,
                  database_name: database.database_name,
                  database_id: database.database_id,
                  ...(options.remote ? { remote: true } : {}),
                },
              ],
            }),
        ...(namespace === undefined
          ? {}
          : {
              kv_namespaces: [
                { binding: namespace.binding, id: namespace.id, ...(options.remote ? { remote: true } : {}) },
              ],
            }),
      }),
    );
    const proxy = await getPlatformProxy({
      configPath,
      envFiles: [],
      persist: { path: join(stateDir, "v3") },
      remoteBindings: options.remote,
    });
    try {
      const db = options.d1 === undefined ? undefined : proxy.env[options.d1];
      if (options.d1 !== undefined && db === undefined) throw new Error(`no ${options.d1} binding in the proxy`);
      const kv = options.kv === undefined ? undefined : proxy.env[options.kv];
      return await use({ ...(db === undefined ? {} : { db }), ...(kv === undefined ? {} : { kv }) } as Env);
    } finally {
      await proxy.dispose();
    }
  } finally {
    rmSync(configDir, { recursive: true, force: true });
  }
}

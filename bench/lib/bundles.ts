// Bundle sizes: `wrangler deploy --dry-run` of every app (and the baseline), raw and gzip.
import { runWrangler } from "@mcp-auth/dev-harness";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";

export interface Bundle {
  name: string;
  files: number;
  rawKiB: number;
  gzipKiB: number;
}

/** Every `apps/*` with a `wrangler.jsonc`, then the extra directories given (the baseline). */
export function bundleDirs(root: string, extra: string[]): string[] {
  const appsDir = join(root, "apps");
  const apps = readdirSync(appsDir)
    .map((name) => join(appsDir, name))
    .filter((dir) => statSync(dir).isDirectory() && existsSync(join(dir, "wrangler.jsonc")))
    .sort();
  return [...apps, ...extra];
}

function scriptFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((file) => /\.(m?js)$/.test(file))
    .map((file) => join(dir, file))
    .filter((file) => statSync(file).isFile());
}

/** Builds one Worker with `wrangler deploy --dry-run --outdir <tmp>` and measures its scripts. */
export async function buildBundle(root: string, dir: string): Promise<Bundle> {
  const name = relative(root, dir);
  const outdir = mkdtempSync(join(tmpdir(), "mcp-bench-bundle-"));
  try {
    const result = await runWrangler(dir, ["deploy", "--dry-run", "--outdir", outdir]);
    if (result.code !== 0) {
      throw new Error(`${name}: wrangler deploy --dry-run failed (code ${String(result.code)}).\n${result.tail}`);
    }
    const files = scriptFiles(outdir);
    if (files.length === 0) throw new Error(`${name}: no .js/.mjs in the dry-run output`);
    let raw = 0;
    let gzip = 0;
    for (const file of files) {
      const bytes = readFileSync(file);
      raw += bytes.length;
      gzip += gzipSync(bytes).length;
    }
    return { name, files: files.length, rawKiB: raw / 1024, gzipKiB: gzip / 1024 };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

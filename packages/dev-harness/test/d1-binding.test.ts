// Where the admin CLIs (users, keys, proxy-grants) read their binding ids from.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { bindingsConfigFile } from "../src/index.ts";

describe("bindingsConfigFile", () => {
  const dirs: string[] = [];
  const appDir = (files: string[]) => {
    const dir = mkdtempSync(join(tmpdir(), "mcp-auth-app-"));
    dirs.push(dir);
    for (const file of files) writeFileSync(join(dir, file), "{}");
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("--remote reads the deploy config's real ids when deploy wrote one (wrangler.jsonc holds placeholders)", () => {
    const dir = appDir(["wrangler.jsonc", "wrangler.deploy.jsonc"]);
    expect(bindingsConfigFile(dir, true)).toBe(join(dir, "wrangler.deploy.jsonc"));
  });

  it("--remote without a deploy config, and every local run, read wrangler.jsonc", () => {
    const withDeploy = appDir(["wrangler.jsonc", "wrangler.deploy.jsonc"]);
    const withoutDeploy = appDir(["wrangler.jsonc"]);
    expect(bindingsConfigFile(withoutDeploy, true)).toBe(join(withoutDeploy, "wrangler.jsonc"));
    expect(bindingsConfigFile(withDeploy, false)).toBe(join(withDeploy, "wrangler.jsonc"));
  });
});

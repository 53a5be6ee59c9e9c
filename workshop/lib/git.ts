// What `workshop reset` does to the tree: the exercise's files back to HEAD, and what it created
// inside them removed. Also `git apply` for start and solution patches.
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { runCommand } from "./command.ts";

async function git(root: string, args: string[]): Promise<string> {
  const result = await runCommand("git", args, { cwd: root });
  if (result.code !== 0) throw new Error(`git ${args.join(" ")} failed (exit ${String(result.code)}): ${result.tail}`);
  return result.stdout;
}

/** Which of `paths` (files or directories) exist in HEAD. */
export async function trackedAtHead(root: string, paths: string[]): Promise<string[]> {
  if (paths.length === 0) return [];
  const listed = await git(root, ["ls-tree", "-r", "--name-only", "HEAD", "--", ...paths]);
  const files = listed.split("\n").filter((line) => line !== "");
  return paths.filter((path) => files.some((file) => file === path || file.startsWith(`${path.replace(/\/$/, "")}/`)));
}

/** Files under `paths` that git does not track: what an exercise created there (ignored files included). */
export async function untrackedUnder(root: string, paths: string[]): Promise<string[]> {
  if (paths.length === 0) return [];
  const listed = await git(root, ["ls-files", "--others", "--", ...paths]);
  return listed.split("\n").filter((line) => line !== "");
}

/** Files under `paths` that differ from HEAD (changed, deleted or created), as `git status --porcelain` lines. */
export async function changedUnder(root: string, paths: string[]): Promise<string[]> {
  if (paths.length === 0) return [];
  const listed = await git(root, ["status", "--porcelain", "--untracked-files=all", "--", ...paths]);
  return listed.split("\n").filter((line) => line !== "");
}

/**
 * Restores `paths` to HEAD: tracked ones by `git checkout HEAD --`, and every file git does not
 * track under them (new files, answers files) removed. A path HEAD does not have is removed whole.
 */
export async function restoreFromHead(root: string, paths: string[]): Promise<void> {
  const tracked = await trackedAtHead(root, paths);
  if (tracked.length > 0) await git(root, ["checkout", "HEAD", "--", ...tracked]);
  for (const file of await untrackedUnder(root, paths)) rmSync(join(root, file), { force: true });
  for (const path of paths) {
    if (!tracked.includes(path) && existsSync(join(root, path)))
      rmSync(join(root, path), { recursive: true, force: true });
  }
}

/** `git apply` of `patch` (a path from the root); `check` only tests that it applies. */
export async function applyPatch(root: string, patch: string, options: { check?: boolean } = {}): Promise<void> {
  await git(root, ["apply", ...(options.check ? ["--check"] : []), "--", patch]);
}

/** Whether `patch` is already applied (its reverse applies cleanly). */
export async function patchIsApplied(root: string, patch: string): Promise<boolean> {
  const result = await runCommand("git", ["apply", "--reverse", "--check", "--", patch], { cwd: root });
  return result.code === 0;
}

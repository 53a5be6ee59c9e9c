import { startWranglerDev } from "@mcp-auth/dev-harness";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    origin: string;
  }
}

/** Starts the no-auth Worker under `wrangler dev` with fresh local state for the whole run. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dev = await startWranglerDev({ cwd: join(import.meta.dirname, "..") });
  project.provide("origin", dev.origin);
  return () => dev.stop();
}

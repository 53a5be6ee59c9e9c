import { describe, expect, it } from "vitest";
import { connectClient, type ClientKind } from "../clients.ts";

/** How the concurrency suite reaches a running app. */
export interface ConcurrencyTarget {
  origin: () => string;
  headers?: () => Promise<Record<string, string>>;
  /** How many separate clients write at once. */
  clients: number;
}

/**
 * "No note lost under concurrency": N separate SDK clients (alternating generations, each from
 * its own address) add a note at the same moment; afterwards every one of them is listed.
 */
export function describeConcurrentWrites(target: ConcurrencyTarget): void {
  describe("concurrency", () => {
    it(`${target.clients} clients adding notes at once lose no write`, async () => {
      const run = crypto.randomUUID();
      const url = new URL("/mcp", target.origin());
      const credential = (await target.headers?.()) ?? {};
      const kinds: ClientKind[] = ["sdk-v1 (2025)", "sdk-v2 (2025)", "sdk-v2 (2026-07-28)"];
      const added = await Promise.all(
        Array.from({ length: target.clients }, async (_, i) => {
          const client = await connectClient(kinds[i % kinds.length] ?? "sdk-v1 (2025)", {
            url,
            headers: { ...credential, "cf-connecting-ip": `10.68.${Math.floor(i / 250)}.${i % 250}` },
          });
          try {
            const result = await client.callTool("notes_add", { text: `${run} #${i}` });
            expect(result.isError ?? false).toBe(false);
            return (result.structuredContent?.["note"] as { id: number }).id;
          } finally {
            await client.close();
          }
        }),
      );
      expect(new Set(added).size).toBe(target.clients);
      const reader = await connectClient("sdk-v2 (2025)", {
        url,
        headers: { ...credential, "cf-connecting-ip": "10.69.0.1" },
      });
      try {
        const listed = await reader.callTool("notes_list", {});
        const texts = (listed.structuredContent?.["notes"] as { text: string }[])
          .map((note) => note.text)
          .filter((text) => text.startsWith(run));
        expect(texts.sort()).toEqual(Array.from({ length: target.clients }, (_, i) => `${run} #${i}`).sort());
      } finally {
        await reader.close();
      }
    });
  });
}

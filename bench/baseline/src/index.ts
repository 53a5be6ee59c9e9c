// The benchmark baseline: the docs' minimal `createMcpHandler` Worker with one echo tool shaped
// like the real one (same input and output schema). Compare apps against it, do not extend it.
// The one exception: under wrangler.ratelimited.jsonc it has a `RATE_LIMITER` binding and calls
// it once per request like no-auth does, so the benchmark can price that binding on its own.
import { McpServer } from "@modelcontextprotocol/server";
import { createMcpHandler } from "agents/mcp/server";
import { z } from "zod";

const handler = createMcpHandler(() => {
  const server = new McpServer({ name: "baseline", version: "1.0.0" });
  server.registerTool(
    "echo",
    {
      description: "Returns the text you send.",
      inputSchema: z.object({ text: z.string() }),
      outputSchema: z.object({ text: z.string() }),
    },
    async ({ text }) => ({ content: [{ type: "text", text }], structuredContent: { text } }),
  );
  return server;
});

/** The Workers Rate Limiting binding's surface; only wrangler.ratelimited.jsonc declares it. */
interface RateLimiter {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

function rateLimiter(env: unknown): RateLimiter | undefined {
  if (typeof env !== "object" || env === null || !("RATE_LIMITER" in env)) return undefined;
  const binding = env.RATE_LIMITER;
  const isLimiter = (value: unknown): value is RateLimiter =>
    typeof value === "object" && value !== null && "limit" in value && typeof value.limit === "function";
  return isLimiter(binding) ? binding : undefined;
}

export default {
  fetch: async (request, env, ctx) => {
    const limiter = rateLimiter(env);
    if (limiter) {
      const { success } = await limiter.limit({ key: request.headers.get("cf-connecting-ip") ?? "unknown" });
      if (!success) return new Response("Too many requests", { status: 429 });
    }
    return handler(request, env, ctx);
  },
} satisfies ExportedHandler;

// The benchmark baseline: the docs' minimal `createMcpHandler` Worker with one echo tool shaped
// like the real one (same input and output schema). Compare apps against it, do not extend it.
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

export default {
  fetch: (request, env, ctx) => handler(request, env, ctx),
} satisfies ExportedHandler;

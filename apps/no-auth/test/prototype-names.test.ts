// JSON-RPC names a client chooses that are also Object.prototype members (a plain-object lookup
// keyed by one finds Object's own machinery): through the whole Worker, no credential, each is a
// clean JSON-RPC error, never a 500.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

// Every member, not a hand-picked few: the whole class a plain-object lookup would trip on.
const NAMES = Object.getOwnPropertyNames(Object.prototype);
const MODERN_META = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": {},
};

async function post(body: unknown, headers: Record<string, string> = {}) {
  const response = await exports.default.fetch(
    new Request("http://localhost/mcp", {
      method: "POST",
      headers: {
        host: "localhost",
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": "2025-06-18",
        ...headers,
      },
      body: JSON.stringify(body),
    }),
  );
  const text = await response.text();
  const data = text.split("\n").find((line) => line.startsWith("data: "));
  const json = JSON.parse(data === undefined ? text : data.slice(6)) as { id: unknown; error?: unknown };
  return { status: response.status, id: json.id, error: json.error };
}

describe("names of Object.prototype members", () => {
  it.each(NAMES)("method %s → -32601 Method not found, both eras", async (name) => {
    expect(await post({ jsonrpc: "2.0", id: 1, method: name, params: {} })).toEqual({
      status: 200,
      id: 1,
      error: { code: -32601, message: "Method not found" },
    });
    const modern = await post(
      { jsonrpc: "2.0", id: 2, method: name, params: { _meta: MODERN_META } },
      { "mcp-protocol-version": "2026-07-28", "mcp-method": name },
    );
    expect(modern).toEqual({ status: 404, id: 2, error: { code: -32601, message: "Method not found" } });
  });

  it.each(NAMES)("tools/call of a tool named %s → -32602 'Tool … not found'", async (name) => {
    expect(await post({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name, arguments: {} } })).toEqual({
      status: 200,
      id: 3,
      error: { code: -32602, message: `Tool ${name} not found` },
    });
  });
});

/**
 * A JSON-RPC error response without an `id`, as the Streamable HTTP transport allows for
 * requests refused before dispatch (MCP 2025-11-25 transports §2.0.1).
 */
export function jsonRpcErrorResponse(
  status: number,
  message: string,
  options: { code?: number; headers?: HeadersInit } = {},
): Response {
  const headers = new Headers(options.headers);
  headers.set("Content-Type", "application/json");
  return new Response(JSON.stringify({ jsonrpc: "2.0", error: { code: options.code ?? -32000, message }, id: null }), {
    status,
    headers,
  });
}

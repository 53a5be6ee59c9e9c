/**
 * A JSON-RPC error response for a request refused before dispatch: without an `id` (`null`),
 * as the Streamable HTTP transport allows (MCP 2025-11-25 transports §2.0.1), unless the
 * caller names the one request it answers.
 */
export function jsonRpcErrorResponse(
  status: number,
  message: string,
  options: { code?: number; headers?: HeadersInit; id?: string | number | null } = {},
): Response {
  const headers = new Headers(options.headers);
  headers.set("Content-Type", "application/json");
  return new Response(
    JSON.stringify({ jsonrpc: "2.0", error: { code: options.code ?? -32000, message }, id: options.id ?? null }),
    {
      status,
      headers,
    },
  );
}

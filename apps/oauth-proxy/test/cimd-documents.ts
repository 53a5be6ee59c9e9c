// Client ID Metadata Documents for the workerd tests, served to the Worker's outbound fetches
// (miniflare's outboundService). Runs in Node, in the vitest config.

export const CIMD_REDIRECT_URI = "http://127.0.0.1:43210/callback";
export const CIMD_CLIENT_ID = "https://client.example.test/mcp/client.json";
export const CIMD_UNSAFE_CLIENT_ID = "https://client.example.test/mcp/unsafe.json";
export const CIMD_MISSING_CLIENT_ID = "https://client.example.test/mcp/missing.json";

const DOCUMENTS: Readonly<Record<string, Record<string, unknown>>> = {
  [CIMD_CLIENT_ID]: {
    client_id: CIMD_CLIENT_ID,
    client_name: "Example Desktop Client",
    redirect_uris: [CIMD_REDIRECT_URI],
    token_endpoint_auth_method: "none",
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
  },
  [CIMD_UNSAFE_CLIENT_ID]: {
    client_id: CIMD_UNSAFE_CLIENT_ID,
    client_name: "Unsafe",
    redirect_uris: ["javascript:alert(1)"],
    token_endpoint_auth_method: "none",
  },
};

export function clientMetadataDocuments(request: Request): Response {
  const document = DOCUMENTS[request.url];
  if (request.method !== "GET" || document === undefined) return new Response("not found", { status: 404 });
  return Response.json(document, { headers: { "cache-control": "no-store" } });
}

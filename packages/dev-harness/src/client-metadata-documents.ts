// Client ID Metadata Documents for both OAuth apps' workerd tests, served to the Worker's
// outbound fetches (miniflare's `outboundService`, in Node): a document "served" by a client's
// own HTTPS origin without a network, and the ways a document can be served wrongly. The
// constants are also imported by the shared suite inside workerd (nothing here needs Node).

export const CIMD_REDIRECT_URI = "http://127.0.0.1:43210/callback";
export const CIMD_CLIENT_ID = "https://client.example.test/mcp/client.json";
export const CIMD_UNSAFE_CLIENT_ID = "https://client.example.test/mcp/unsafe.json";
export const CIMD_MISSING_CLIENT_ID = "https://client.example.test/mcp/missing.json";

/** Documents served through a redirect (to the same origin, another origin, plain http): never accepted. */
export const CIMD_REDIRECTED_CLIENT_IDS = {
  "same-origin": "https://client.example.test/mcp/moved.json",
  "cross-origin": "https://client.example.test/mcp/elsewhere.json",
  "plain http": "https://client.example.test/mcp/insecure.json",
} as const;

/** Documents whose contents the registration policy refuses (a redirect URI that is not a URI, a bidi override). */
export const CIMD_REFUSED_CLIENT_IDS = {
  "a redirect URI with a space": "https://client.example.test/mcp/space.json",
  "a right-to-left override in client_name": "https://client.example.test/mcp/bidi.json",
} as const;

const document = (clientId: string, extra: Record<string, unknown> = {}) => ({
  client_id: clientId,
  client_name: "Example Desktop Client",
  redirect_uris: [CIMD_REDIRECT_URI],
  token_endpoint_auth_method: "none",
  grant_types: ["authorization_code", "refresh_token"],
  response_types: ["code"],
  ...extra,
});

/** Where each redirecting client id sends the fetch; the target serves a document naming the original id. */
const REDIRECTS: Readonly<Record<string, string>> = {
  [CIMD_REDIRECTED_CLIENT_IDS["same-origin"]]: "https://client.example.test/mcp/moved-here.json",
  [CIMD_REDIRECTED_CLIENT_IDS["cross-origin"]]: "https://other.example.test/mcp/elsewhere.json",
  [CIMD_REDIRECTED_CLIENT_IDS["plain http"]]: "http://client.example.test/mcp/insecure.json",
};

const DOCUMENTS: Readonly<Record<string, Record<string, unknown>>> = {
  [CIMD_CLIENT_ID]: document(CIMD_CLIENT_ID),
  [CIMD_UNSAFE_CLIENT_ID]: document(CIMD_UNSAFE_CLIENT_ID, {
    client_name: "Unsafe",
    redirect_uris: ["javascript:alert(1)"],
  }),
  [CIMD_REFUSED_CLIENT_IDS["a redirect URI with a space"]]: document(
    CIMD_REFUSED_CLIENT_IDS["a redirect URI with a space"],
    { redirect_uris: [CIMD_REDIRECT_URI, "https://client.example/c b"] },
  ),
  [CIMD_REFUSED_CLIENT_IDS["a right-to-left override in client_name"]]: document(
    CIMD_REFUSED_CLIENT_IDS["a right-to-left override in client_name"],
    { client_name: "Notes \u202Eexe.fdp" },
  ),
  // The redirect targets: each a valid document for the id that redirected to it.
  ...Object.fromEntries(Object.entries(REDIRECTS).map(([clientId, target]) => [target, document(clientId)])),
};

/** The outbound fetch handler: a document, a redirect, or 404. */
export function clientMetadataDocuments(request: Request): Response {
  if (request.method !== "GET") return new Response("not found", { status: 404 });
  const target = REDIRECTS[request.url];
  if (target !== undefined) return new Response(null, { status: 302, headers: { location: target } });
  const found = DOCUMENTS[request.url];
  if (found === undefined) return new Response("not found", { status: 404 });
  return Response.json(found, { headers: { "cache-control": "no-store" } });
}

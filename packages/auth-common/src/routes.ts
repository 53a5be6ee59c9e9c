/**
 * `GET /sse`: the HTTP+SSE transport (MCP 2024-11-05) is retired here. Old snippets still point
 * clients at it, so answer 410 with a JSON pointer to the Streamable HTTP endpoint.
 */
export function sseRetiredResponse(request: Request): Response {
  return Response.json(
    {
      error: "transport_retired",
      error_description: "The HTTP+SSE transport is retired. Connect with Streamable HTTP at the endpoint below.",
      endpoint: new URL("/mcp", request.url).href,
    },
    { status: 410, headers: { Link: '</mcp>; rel="alternate"' } },
  );
}

/** Any path an app does not serve. */
export function notFoundResponse(): Response {
  return Response.json({ error: "not_found", error_description: "Try POST /mcp or GET /." }, { status: 404 });
}

/** A 302 to `location` (the authorization flow's browser redirects), with `headers` (cookies) kept. */
export function redirect(location: string, headers = new Headers()): Response {
  headers.set("Location", location);
  return new Response(null, { status: 302, headers });
}

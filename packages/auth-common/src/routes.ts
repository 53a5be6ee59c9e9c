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

/** One route of an app's site: the request and what the app hands its routes (env, helpers). */
export type Route<X> = (request: Request, context: X) => Response | Promise<Response>;

/**
 * An app's site as a table: `"/path"` answers every method, `"POST /path"` one method (it wins
 * over the path alone). Exact paths only, so that the table is the whole list of what the app
 * serves.
 */
export type Routes<X> = Readonly<Record<string, Route<X>>>;

/**
 * Answers `request` from `routes`, else `/sse` with {@link sseRetiredResponse} (old snippets
 * still point there), else {@link notFoundResponse}.
 */
export async function siteRoute<X>(request: Request, routes: Routes<X>, context: X): Promise<Response> {
  const { pathname } = new URL(request.url);
  const route = routes[`${request.method} ${pathname}`] ?? routes[pathname];
  if (route !== undefined) return route(request, context);
  if (pathname === "/sse") return sseRetiredResponse(request);
  return notFoundResponse();
}

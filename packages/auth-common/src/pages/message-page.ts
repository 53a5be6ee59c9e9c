import { html, layout, pageHeaders } from "./html.ts";

/** A page for a failure that must not redirect anywhere (untrusted client, expired form…). */
export function messagePage(status: number, title: string, message: string): Response {
  const body = html`<h1>${title}</h1>
    <p>${message}</p>
    <p class="lead">Start again from your MCP client.</p>`;
  return new Response(layout(title, body).value, { status, headers: pageHeaders() });
}

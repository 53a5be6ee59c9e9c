/** When a resource stops serving a class of callers, and where its policy is explained. */
export interface Sunset {
  /** The first moment the callers are no longer served (midnight UTC of a configured day). */
  date: Date;
  /** A page that explains what changes and what to do (RFC 8594 §3's `sunset` link target). */
  policy: URL;
}

/**
 * The answer with headers telling its caller that this way of calling is deprecated and ends at
 * `sunset.date`: RFC 9745 `Deprecation` (a structured-field date, `@<unix seconds>`), RFC 8594
 * `Sunset` (an HTTP-date) and a `Link` with the `sunset` relation (RFC 8594 §3) to the policy page.
 * Any `Link` the answer already had is kept. The body is passed through unread (streams stay streams).
 */
export function withSunset(response: Response, sunset: Sunset): Response {
  const marked = new Response(response.body, response);
  const seconds = Math.floor(sunset.date.getTime() / 1000);
  marked.headers.set("Deprecation", `@${seconds}`);
  // toUTCString() is the IMF-fixdate form of RFC 9110 §5.6.7 ("Fri, 15 Jan 2027 00:00:00 GMT").
  marked.headers.set("Sunset", sunset.date.toUTCString());
  marked.headers.append("Link", `<${sunset.policy.href}>; rel="sunset"`);
  return marked;
}

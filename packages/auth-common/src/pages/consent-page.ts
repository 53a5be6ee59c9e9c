import { html, layout, pageHeaders, type SafeHtml } from "./html.ts";

/**
 * What the consent page shows about the client, as `OAuthHelpers.describeConsent()` (1.2.3)
 * reports it. Declared here, not imported, so that the page renders in Node tests (the library
 * imports `cloudflare:workers`). Every string
 * may come from the client (registration or a metadata document) and is escaped.
 */
export interface ConsentClient {
  clientId: string;
  /** Self-asserted unless `clientDomain` is set. */
  clientName: string;
  /** A Client ID Metadata Document client's verified domain. */
  clientDomain?: string | undefined;
  redirectHost: string;
  redirectIsLoopback: boolean;
}

/** One scope the user may grant, with what it lets the client do. */
export interface GrantableScope {
  scope: string;
  description: string;
  /** Ticked when the page opens (the client asked for it). */
  checked: boolean;
}

export interface ConsentPageOptions {
  client: ConsentClient;
  /** The library's single-use, browser-bound handle; the form carries nothing else trusted. */
  handle: string;
  /** Only scopes this server knows; anything else the client asked for is never offered. */
  scopes: readonly GrantableScope[];
  /** This server's name, e.g. "MCP oauth-proxy reference server". */
  serverName: string;
  /** What happens after Allow, e.g. "You will then sign in at 127.0.0.1:8791." */
  next?: string;
  /** Where the form may lead: the upstream IdP and the client's redirect URI (CSP form-action). */
  formAction: readonly string[];
  /** Headers the library's `beginConsent()` returned (its binding cookie). */
  headers?: Headers;
  /** A CSRF token bound to the signed-in session (apps with their own sessions). */
  csrf?: string;
  /** Who is signed in, with a way to switch (apps with their own sessions). */
  signedInAs?: string;
}

/** Builds the page's body; exported for tests of the markup itself. */
export function consentBody(options: ConsentPageOptions): SafeHtml {
  const { client } = options;
  const who = client.clientDomain
    ? html`<p>
        Published by <strong>${client.clientDomain}</strong> (verified: its client id is a URL on that domain).
      </p>`
    : html`<p>
        This app registered itself: the name <strong>${client.clientName}</strong> is its own claim and is not verified.
      </p>`;
  return html`<h1>Allow <span class="client-name">${client.clientName}</span> to use ${options.serverName}?</h1>
    ${who}
    <p>Access will be sent to <strong class="redirect-host">${client.redirectHost}</strong>.</p>
    ${
      options.signedInAs === undefined
        ? ""
        : html`<p>You are signed in as <strong class="signed-in-as">${options.signedInAs}</strong>.</p>`
    }
    ${
      client.redirectIsLoopback
        ? html`<p class="warning">
            <strong>This sends access to an app on your computer.</strong> Any program there can listen on that address,
            whatever name it claims. Continue only if you just started signing in from it.
          </p>`
        : ""
    }
    <form method="post" action="/authorize">
      <input type="hidden" name="handle" value="${options.handle}" />
      ${options.csrf === undefined ? "" : html`<input type="hidden" name="csrf" value="${options.csrf}" />`}
      <fieldset>
        <legend>What it may do</legend>
        ${options.scopes.map(
          (scope) =>
            html`<label
                ><input type="checkbox" name="scope" value="${scope.scope}" ${scope.checked ? html`checked` : ""} />
                <code>${scope.scope}</code> — ${scope.description}</label
              ><br />`,
        )}
      </fieldset>
      ${options.next === undefined ? "" : html`<p class="lead">${options.next}</p>`}
      <p>
        <button type="submit" name="decision" value="approve">Allow</button>
        <button type="submit" name="decision" value="deny">Deny</button>
      </p>
    </form>`;
}

/**
 * The consent page (MCP security best practices: confused deputy): the client's name (marked
 * self-asserted unless verified), the redirect host with a loopback warning, the scopes to
 * choose from, Allow and Deny. Not frameable, no scripts, and `form-action` limited to this
 * origin plus exactly the validated targets, since Chromium applies it to the redirect that
 * follows the POST.
 */
export function consentPage(options: ConsentPageOptions): Response {
  const headers = options.headers ?? new Headers();
  for (const [name, value] of pageHeaders({ formAction: options.formAction })) headers.set(name, value);
  const title = `Authorize ${options.client.clientName}`;
  return new Response(layout(title, consentBody(options)).value, { status: 200, headers });
}

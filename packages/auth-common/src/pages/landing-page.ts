import type { Pattern } from "@mcp-auth/identity";
import { clientConfigs } from "./client-configs.ts";
import { html, layout, pageHeaders } from "./html.ts";

/** What one app says about itself on its `GET /` page. */
export interface LandingPageContent {
  pattern: Pattern;
  title: string;
  summary: string;
  /** How a caller proves who it is, step by step. */
  howItWorks: readonly string[];
  /** What can go wrong with this pattern and what the app does about it. */
  risks: readonly string[];
  /** Headers a client must send, with placeholder values. */
  clientHeaders?: Readonly<Record<string, string>>;
  /** The client signs a person in through the browser (OAuth): configs that cannot are replaced. */
  signIn?: boolean;
  /** Rows for a "configuration" table: variable → current value (never a secret). */
  settings?: readonly (readonly [string, string])[];
  /** The tool set, as mcp-core defines it (the app passes `TOOLS`), so the page cannot go stale. */
  tools: readonly LandingPageTool[];
  /** How to get a credential for the running configuration: what to do, and the command if any. */
  credentials?: readonly { how: string; command?: string }[];
}

/** What the page shows of one tool. */
export interface LandingPageTool {
  name: string;
  description: string;
  /** The scope the tool needs; `undefined` for tools any caller may use. */
  scope: string | undefined;
}

/**
 * Renders the human page that describes a pattern and how to connect a client to it. The MCP
 * URL is derived from the request, so a deployed Worker shows its own address. Every code block
 * gets a Copy button (the one script, allowed by its hash).
 */
export function landingPage(request: Request, content: LandingPageContent): Response {
  const mcpUrl = new URL("/mcp", request.url).href;
  const configs = clientConfigs(content.pattern, mcpUrl, content.clientHeaders, { signIn: content.signIn === true });
  const body = html` <p><span class="badge">${content.pattern}</span></p>
    <h1>${content.title}</h1>
    <p class="lead">${content.summary}</p>
    <p>MCP endpoint (Streamable HTTP): <code>${mcpUrl}</code></p>
    <h2>How a caller proves who it is</h2>
    <ol>
      ${content.howItWorks.map((step) => html`<li>${step}</li>`)}
    </ol>
    <h2>Risks and what this app does about them</h2>
    <ul>
      ${content.risks.map((risk) => html`<li>${risk}</li>`)}
    </ul>
    <h2>Tools</h2>
    <table>
      <tr>
        <th>Tool</th>
        <th>Scope</th>
        <th>Does</th>
      </tr>
      ${content.tools.map(
        (tool) =>
          html`<tr>
            <td><code class="name">${tool.name}</code></td>
            <td>${tool.scope === undefined ? "any caller" : html`<code class="name">${tool.scope}</code>`}</td>
            <td>${tool.description}</td>
          </tr>`,
      )}
    </table>
    <h2>Connect a client</h2>
    ${configs.map(
      (config) =>
        html`<h3>${config.client} <small class="lead">— ${config.where}</small></h3>
          <pre><code>${config.snippet}</code></pre>
          ${config.note === undefined ? "" : html`<p class="note">${config.note}</p>`}`,
    )}
    ${
      content.credentials && content.credentials.length > 0
        ? html`<h2>Get a credential</h2>
            ${content.credentials.map(
              (step) =>
                html`<p>${step.how}</p>
                  ${step.command === undefined ? "" : html`<pre><code>${step.command}</code></pre>`}`,
            )}`
        : ""
    }
    ${
      content.settings && content.settings.length > 0
        ? html`<h2>Configuration of this deployment</h2>
            <table>
              ${content.settings.map(
                ([name, value]) =>
                  html`<tr>
                    <td><code class="name">${name}</code></td>
                    <td><code>${value}</code></td>
                  </tr>`,
              )}
            </table>`
        : ""
    }`;
  return new Response(layout(`${content.title} — MCP auth patterns`, body, { copyButtons: true }).value, {
    headers: pageHeaders({ copyButtons: true }),
  });
}

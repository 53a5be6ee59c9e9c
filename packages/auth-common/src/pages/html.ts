/** HTML that is already safe to emit. Only {@link html} and {@link raw} create it. */
export class SafeHtml {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

/**
 * Control characters (but tab and newline) and invisible format characters (\p{Cf}: the bidi
 * overrides, embeddings and isolates U+202A..U+202E and U+2066..U+2069, U+061C, the zero-width
 * U+200B..U+200F, U+FEFF…). In text a person reads they only disguise it: a right-to-left
 * override shows `Notes\u202Eexe.fdp` as "Notes pdf.exe".
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const INVISIBLE = /[\p{Cf}\x00-\x08\x0B-\x1F\x7F-\x9F]/gu;

/**
 * Escapes text for an HTML text node or a double-quoted attribute value, and shows each
 * {@link INVISIBLE} character as U+FFFD, so that a name from a client (a metadata document is
 * never checked at registration) cannot reorder or hide what the page says.
 */
export function escapeHtml(text: string): string {
  return text
    .replaceAll(INVISIBLE, "\uFFFD")
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/** Marks a trusted, constant string as HTML. Never pass client-supplied text. */
export function raw(trusted: string): SafeHtml {
  return new SafeHtml(trusted);
}

type Interpolation = SafeHtml | string | number | undefined | null | false | readonly Interpolation[];

function render(value: Interpolation): string {
  if (value === undefined || value === null || value === false) return "";
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map((item: Interpolation) => render(item)).join("");
  return escapeHtml(String(value));
}

/**
 * Tagged template that escapes every interpolated value unless it is {@link SafeHtml}, so
 * client-supplied names and URIs cannot inject markup.
 */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0] ?? "";
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? "");
  });
  return new SafeHtml(out);
}

/**
 * The CSP source that allows a form to lead to `target`: its origin for http(s), its scheme for
 * the custom schemes native clients register (`cursor:`), whose URLs have no origin to name.
 * Throws on anything that is not an absolute URL with such a scheme.
 */
function formActionSource(target: string): string {
  const url = new URL(target);
  if (url.protocol === "https:" || url.protocol === "http:") return url.origin;
  if (
    /^[a-z][a-z0-9+.-]*:$/.test(url.protocol) &&
    !["javascript:", "data:", "vbscript:", "file:"].includes(url.protocol)
  )
    return url.protocol;
  throw new Error(`form-action target has an unsafe scheme: ${url.protocol}`);
}

/**
 * The only script any page runs: a "Copy" button after every `<pre><code>` block, which puts the
 * block's text on the clipboard. A plain string (not an html`` template, which prettier would
 * reformat), allowed by {@link COPY_BUTTONS_SCRIPT_HASH} in the CSP, never by `'unsafe-inline'`.
 */
export const COPY_BUTTONS_SCRIPT = `for (const code of document.querySelectorAll("pre > code")) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "copy";
  button.textContent = "Copy";
  button.addEventListener("click", () => {
    navigator.clipboard.writeText(code.textContent).then(
      () => { button.textContent = "Copied"; },
      () => { button.textContent = "Copy failed: select the text and copy it"; },
    );
  });
  code.parentElement.after(button);
}`;

/**
 * CSP source for {@link COPY_BUTTONS_SCRIPT}: base64 SHA-256 of its exact text. A constant, so
 * the headers stay synchronous; pages.test.ts recomputes it and fails when the two drift.
 */
export const COPY_BUTTONS_SCRIPT_HASH = "'sha256-nFo8jjs9rwTspMcM4WAefi18b9b+rhfJr1w7e4kXU1U='";

/** What a page may add to the default headers. */
export interface PageHeaderOptions {
  /**
   * Where the page's forms may lead besides this origin. CSP `form-action` also governs the
   * redirects after a form POST (Chromium enforces it), so a consent page whose Allow answers
   * 302 to the client's `redirect_uri` (or to an upstream IdP) lists exactly that validated
   * target here, and nothing else.
   */
  formAction?: readonly string[];
  /** The page carries {@link COPY_BUTTONS_SCRIPT} (see {@link layout}): allow it, and only it. */
  copyButtons?: boolean;
  /** The page loads script files from this origin (`script-src 'self'`, nothing inline). */
  selfScripts?: boolean;
  /** Where the page's scripts may `fetch()` besides nothing (`connect-src 'self'` when true). */
  connectSelf?: boolean;
}

/**
 * Headers for every page a person looks at: no framing (clickjacking), no scripts (except, when
 * asked, the copy-button script by its hash), no sniffing, no referrer leaking URLs with codes or
 * state in them.
 */
export function pageHeaders(options: PageHeaderOptions = {}): Headers {
  const formAction = ["'self'", ...new Set((options.formAction ?? []).map(formActionSource))].join(" ");
  const scripts = [
    ...(options.selfScripts === true ? ["'self'"] : []),
    ...(options.copyButtons === true ? [COPY_BUTTONS_SCRIPT_HASH] : []),
  ];
  const scriptSrc = scripts.length === 0 ? "" : ` script-src ${scripts.join(" ")};`;
  const connectSrc = options.connectSelf === true ? " connect-src 'self';" : "";
  return new Headers({
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": `default-src 'none';${scriptSrc}${connectSrc} style-src 'unsafe-inline'; img-src 'self' data:; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
  });
}

// Built outside html``: prettier reformats the inside of those templates, which would change the hash.
const COPY_BUTTONS_TAG = raw(`<script>${COPY_BUTTONS_SCRIPT}</script>`);

/** What a page adds to the shared chrome. */
export interface LayoutOptions {
  /** Adds {@link COPY_BUTTONS_SCRIPT}; serve the page with `pageHeaders({ copyButtons: true })`. */
  copyButtons?: boolean;
  /** Same-origin script files to load (`<script src>`); serve with `pageHeaders({ selfScripts: true })`. */
  scripts?: readonly string[];
}

/**
 * Shared page chrome: one stylesheet, one layout for every human page in the repo. Code blocks
 * wrap rather than scroll sideways, so a long command line fits a phone's width.
 */
export function layout(title: string, body: SafeHtml, options: LayoutOptions = {}): SafeHtml {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <link rel="icon" href="data:," />
        <title>${title}</title>
        <style>
          :root {
            color-scheme: light dark;
            --fg: #1b1b1f;
            --muted: #5b5b66;
            --bg: #fff;
            --card: #f5f5f7;
            --accent: #f38020;
          }
          @media (prefers-color-scheme: dark) {
            :root {
              --fg: #ececf1;
              --muted: #a0a0ab;
              --bg: #131316;
              --card: #1e1e23;
            }
          }
          body {
            font:
              16px/1.55 system-ui,
              sans-serif;
            color: var(--fg);
            background: var(--bg);
            margin: 0;
          }
          main {
            max-width: 52rem;
            margin: 0 auto;
            padding: 2rem 1.25rem 4rem;
          }
          h1 {
            font-size: 1.8rem;
            margin: 0 0 0.25rem;
          }
          h2 {
            font-size: 1.2rem;
            margin-top: 2rem;
            border-bottom: 2px solid var(--accent);
            padding-bottom: 0.2rem;
          }
          h3 {
            font-size: 1rem;
            margin: 1.25rem 0 0.4rem;
          }
          .lead {
            color: var(--muted);
            margin-top: 0;
          }
          .badge {
            display: inline-block;
            font-size: 0.8rem;
            background: var(--accent);
            color: #fff;
            border-radius: 999px;
            padding: 0.1rem 0.6rem;
          }
          pre {
            background: var(--card);
            padding: 0.8rem 1rem;
            border-radius: 8px;
            white-space: pre-wrap;
            overflow-wrap: anywhere;
            font-size: 0.85rem;
          }
          td code {
            overflow-wrap: anywhere;
          }
          /* Tool, scope and variable names are read whole: the column widens instead ("notes_li st"). */
          td code.name {
            font-size: 0.85em;
            white-space: nowrap;
            overflow-wrap: normal;
            word-break: keep-all;
          }
          button.copy {
            display: block;
            margin: -0.6rem 0 1rem auto;
            font: inherit;
            font-size: 0.8rem;
            padding: 0.15rem 0.7rem;
            border: 1px solid var(--muted);
            border-radius: 6px;
            background: var(--card);
            color: var(--fg);
            cursor: pointer;
          }
          code {
            font-family: ui-monospace, SFMono-Regular, Menlo, monospace;
          }
          table {
            border-collapse: collapse;
            width: 100%;
          }
          td,
          th {
            text-align: left;
            padding: 0.35rem 0.5rem;
            border-bottom: 1px solid var(--card);
            vertical-align: top;
          }
          li {
            margin: 0.25rem 0;
          }
          /* A 320 px phone: a three-column table with whole names fits only with less padding. */
          @media (max-width: 24rem) {
            body {
              padding-left: 0.75rem;
              padding-right: 0.75rem;
            }
            td,
            th {
              padding: 0.35rem 0.3rem;
            }
          }
        </style>
      </head>
      <body>
        <main>${body}</main>
        ${options.copyButtons === true ? COPY_BUTTONS_TAG : ""}
        ${(options.scripts ?? []).map((src) => html`<script src="${src}"></script>`)}
      </body>
    </html>`;
}

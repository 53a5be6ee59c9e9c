// A small HTML form reader for headless drivers of login and consent pages: finds the forms of a
// page and builds what a browser would submit, without a browser or a dependency.

/** One form control as the page declares it. */
export interface FormControl {
  tag: "input" | "button" | "textarea" | "select";
  /** Lower-cased; an `<input>` without one is `text`, a `<button>` without one is `submit`. */
  type: string;
  /** `""` when the control has no name (it is then never submitted). */
  name: string;
  /** Entity-decoded; a `<textarea>`'s content, a `<select>`'s selected (or first) option. */
  value: string;
  /** Whether a checkbox or radio starts checked; a driver may flip it before submitting. */
  checked: boolean;
  disabled: boolean;
}

/** One `<form>` and its controls, in document order. */
export interface HtmlForm {
  /** `id` attribute, if any. */
  id: string | undefined;
  /** The `action`, resolved against the page URL (the page URL itself when absent or empty). */
  action: URL;
  method: "GET" | "POST";
  controls: FormControl[];
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: "\u00a0",
};

/**
 * Decodes character references: decimal and hex numeric ones, and `&amp; &lt; &gt; &quot; &apos;
 * &nbsp;`. Does not decode other named references or ones missing their `;` (left as written).
 */
export function decodeEntities(text: string): string {
  return text.replace(/&(#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z]+);/gu, (whole, body: string) => {
    if (body.startsWith("#")) {
      const hex = body[1] === "x" || body[1] === "X";
      const code = Number.parseInt(body.slice(hex ? 2 : 1), hex ? 16 : 10);
      // HTML §13.2.5.80: null, surrogates and out-of-range code points become U+FFFD.
      if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return "\ufffd";
      return String.fromCodePoint(code);
    }
    // Own names only: `&constructor;` is not a reference to Object.
    return Object.hasOwn(NAMED_ENTITIES, body) ? (NAMED_ENTITIES[body] ?? whole) : whole;
  });
}

interface Tag {
  name: string;
  attributes: Map<string, string>;
  /** Index just after the tag's `>`. */
  end: number;
}

const WHITESPACE = /[\t\n\f\r ]/u;
/** Elements whose content is text, never markup: a `<form>` inside a script is not a form. */
const RAW_TEXT = new Set(["script", "style", "textarea", "title", "xmp", "noscript", "iframe", "noembed", "noframes"]);

/** Reads the start or end tag at `start` (which holds `<`); `undefined` when it is not a tag. */
function readTag(html: string, start: number): Tag | undefined {
  let i = start + 1;
  const closing = html[i] === "/";
  if (closing) i++;
  if (!/[a-zA-Z]/u.test(html[i] ?? "")) return undefined;
  const nameStart = i;
  while (i < html.length && !WHITESPACE.test(html[i] ?? "") && html[i] !== ">" && html[i] !== "/") i++;
  const name = `${closing ? "/" : ""}${html.slice(nameStart, i).toLowerCase()}`;
  const attributes = new Map<string, string>();
  while (i < html.length) {
    while (i < html.length && (WHITESPACE.test(html[i] ?? "") || html[i] === "/")) i++;
    if (i >= html.length) break;
    if (html[i] === ">") return { name, attributes, end: i + 1 };
    const attrStart = i;
    // HTML §13.2.5.33: a leading `=` is part of the attribute name.
    i++;
    while (i < html.length && !WHITESPACE.test(html[i] ?? "") && !["/", ">", "="].includes(html[i] ?? "")) i++;
    const attrName = html.slice(attrStart, i).toLowerCase();
    while (i < html.length && WHITESPACE.test(html[i] ?? "")) i++;
    let value = "";
    if (html[i] === "=") {
      i++;
      while (i < html.length && WHITESPACE.test(html[i] ?? "")) i++;
      const quote = html[i];
      if (quote === '"' || quote === "'") {
        const close = html.indexOf(quote, i + 1);
        const stop = close < 0 ? html.length : close;
        value = html.slice(i + 1, stop);
        i = stop + 1;
      } else {
        const valueStart = i;
        while (i < html.length && !WHITESPACE.test(html[i] ?? "") && html[i] !== ">") i++;
        value = html.slice(valueStart, i);
      }
    }
    // HTML §13.2.5.33: the first of duplicate attributes wins.
    if (!attributes.has(attrName)) attributes.set(attrName, decodeEntities(value));
  }
  return { name, attributes, end: html.length };
}

/** Index of the `</name` that closes a raw-text element opened before `from`, or the end. */
function rawTextEnd(html: string, from: number, name: string): number {
  const lower = html.toLowerCase();
  let at = lower.indexOf(`</${name}`, from);
  while (at >= 0) {
    const after = lower[at + name.length + 2];
    if (after === undefined || after === ">" || after === "/" || WHITESPACE.test(after)) return at;
    at = lower.indexOf(`</${name}`, at + 1);
  }
  return html.length;
}

function methodOf(value: string | undefined): "GET" | "POST" {
  return value?.toLowerCase() === "post" ? "POST" : "GET";
}

function controlOf(tag: FormControl["tag"], attributes: Map<string, string>): FormControl {
  const defaultType = tag === "input" ? "text" : tag === "button" ? "submit" : tag;
  const declared = attributes.get("type")?.toLowerCase();
  const buttonTypes = new Set(["submit", "reset", "button"]);
  const type =
    tag === "button"
      ? declared !== undefined && buttonTypes.has(declared)
        ? declared
        : "submit"
      : (declared ?? defaultType);
  let value = attributes.get("value") ?? "";
  if (tag === "input" && (type === "checkbox" || type === "radio") && !attributes.has("value")) value = "on";
  return {
    tag,
    type: tag === "textarea" || tag === "select" ? tag : type,
    name: attributes.get("name") ?? "",
    value,
    checked: attributes.has("checked"),
    disabled: attributes.has("disabled"),
  };
}

/**
 * Finds every `<form>` of `html` and its `<input>`, `<button>`, `<textarea>` and `<select>`
 * controls, as a browser's parser would for well-formed pages.
 *
 * Handles: attribute values in double, single or no quotes (a `>` or `<` inside a quoted value
 * does not end the tag), entity-decoded attribute values and textarea text, case-insensitive
 * names, comments, raw-text elements (a form inside `<script>`, `<style>` or a comment is not a
 * form), controls outside any form (ignored) or tied to one with `form="id"`, a nested `<form>`
 * (ignored, as browsers do), first-wins duplicate attributes.
 * Does not handle: `<base href>`, `formaction`/`formmethod` on buttons, `<option>` text content as
 * a value (an option needs a `value` attribute), `<fieldset disabled>`, scripts.
 */
export function parseForms(html: string, pageUrl: string | URL): HtmlForm[] {
  const base = new URL(pageUrl);
  const forms: HtmlForm[] = [];
  const orphans: { formId: string; control: FormControl }[] = [];
  let open: HtmlForm | undefined;
  let select: { control: FormControl; selected: string | undefined; first: string | undefined } | undefined;

  let i = 0;
  while (i < html.length) {
    const lt = html.indexOf("<", i);
    if (lt < 0) break;
    if (html.startsWith("<!--", lt)) {
      const close = html.indexOf("-->", lt + 4);
      i = close < 0 ? html.length : close + 3;
      continue;
    }
    if (html[lt + 1] === "!" || html[lt + 1] === "?") {
      const close = html.indexOf(">", lt);
      i = close < 0 ? html.length : close + 1;
      continue;
    }
    const tag = readTag(html, lt);
    if (tag === undefined) {
      i = lt + 1;
      continue;
    }
    i = tag.end;
    const { name, attributes } = tag;

    const place = (control: FormControl): void => {
      const formId = attributes.get("form");
      if (formId !== undefined) orphans.push({ formId, control });
      else open?.controls.push(control);
    };

    if (name === "form") {
      if (open !== undefined) continue; // HTML §13.2.6.4.7: a form inside a form is ignored
      const action = attributes.get("action") ?? "";
      open = {
        id: attributes.get("id"),
        action: action.trim() === "" ? new URL(base) : new URL(action.trim(), base),
        method: methodOf(attributes.get("method")),
        controls: [],
      };
      forms.push(open);
    } else if (name === "/form") {
      open = undefined;
    } else if (name === "input" || name === "button") {
      place(controlOf(name, attributes));
    } else if (name === "textarea") {
      const close = rawTextEnd(html, i, "textarea");
      // HTML §13.2.6.4.7: a newline right after <textarea> is not part of its value.
      const text = html.slice(i, close).replace(/^\r?\n/u, "");
      place({ ...controlOf("textarea", attributes), value: decodeEntities(text) });
      i = close;
    } else if (name === "select") {
      select = { control: controlOf("select", attributes), selected: undefined, first: undefined };
      place(select.control);
    } else if (name === "option" && select !== undefined) {
      const value = attributes.get("value");
      if (value !== undefined) {
        select.first ??= value;
        if (attributes.has("selected") && select.selected === undefined) select.selected = value;
        select.control.value = select.selected ?? select.first;
      }
    } else if (name === "/select") {
      select = undefined;
    } else if (RAW_TEXT.has(name)) {
      i = rawTextEnd(html, i, name);
    }
  }

  for (const { formId, control } of orphans) forms.find((form) => form.id === formId)?.controls.push(control);
  return forms;
}

/** Whether a control is a button that can submit its form. */
export function isSubmitButton(control: FormControl): boolean {
  return (control.tag === "button" || control.tag === "input") && control.type === "submit";
}

/**
 * What a browser submits for `form` when `submitter` (one of its submit buttons, or none) is
 * clicked (HTML §4.10.21.4, "constructing the entry list"): named, enabled controls in document
 * order; checkboxes and radios only when checked; only the clicked button; no reset/button/file/
 * image controls.
 */
export function formEntries(form: HtmlForm, submitter?: FormControl): [string, string][] {
  const entries: [string, string][] = [];
  for (const control of form.controls) {
    if (control.name === "" || control.disabled) continue;
    if (isSubmitButton(control)) {
      if (control === submitter) entries.push([control.name, control.value]);
      continue;
    }
    if (control.tag === "button") continue;
    if (["reset", "button", "file", "image"].includes(control.type)) continue;
    if ((control.type === "checkbox" || control.type === "radio") && !control.checked) continue;
    entries.push([control.name, control.value]);
  }
  return entries;
}

import { describe, expect, it } from "vitest";
import { decodeEntities, formEntries, isSubmitButton, parseForms } from "../src/html-forms.ts";

const PAGE = "http://127.0.0.1:8789/authorize?response_type=code";

describe("decodeEntities", () => {
  it("decodes numeric and the common named references, and leaves others as written", () => {
    expect(decodeEntities("a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos;&nbsp;")).toBe("a & b <c> \"d\" 'e'\u00a0");
    expect(decodeEntities("&#65;&#x42;&#X43; &#128512;")).toBe("ABC 😀");
    expect(decodeEntities("&copy; &amp &unknown; & ;")).toBe("&copy; &amp &unknown; & ;");
    expect(decodeEntities("&#0; &#xD800; &#x110000;")).toBe("\ufffd \ufffd \ufffd");
    // Decoding happens once: an escaped reference stays a reference.
    expect(decodeEntities("&amp;lt;")).toBe("&lt;");
  });

  it("a name of an Object.prototype member is no reference", () => {
    for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf", "isPrototypeOf"]) {
      expect(decodeEntities(`a &${name}; b`)).toBe(`a &${name}; b`);
    }
  });
});

describe("parseForms", () => {
  it("reads attributes in double, single and no quotes, decoding entities in values", () => {
    const [form, ...rest] = parseForms(
      `<FORM Method=post ACTION='/authorize?a=1&amp;b=2'>
        <input type=hidden name='handle' value="h&quot;1&#39;&#x41;">
        <input TYPE="checkbox" name=scope value='notes:read' checked>
        <input type="checkbox" name="scope" value="notes:write">
        <button type="submit" name="decision" value="approve">Allow</button>
        <button name='decision' value='deny'>Deny</button>
      </form>`,
      PAGE,
    );
    expect(rest).toEqual([]);
    expect(form?.method).toBe("POST");
    expect(form?.action.href).toBe("http://127.0.0.1:8789/authorize?a=1&b=2");
    expect(form?.controls.map((c) => [c.tag, c.type, c.name, c.value, c.checked])).toEqual([
      ["input", "hidden", "handle", "h\"1'A", false],
      ["input", "checkbox", "scope", "notes:read", true],
      ["input", "checkbox", "scope", "notes:write", false],
      ["button", "submit", "decision", "approve", false],
      ["button", "submit", "decision", "deny", false],
    ]);
  });

  it("keeps < and > inside quoted values, whether raw or escaped", () => {
    const [form] = parseForms(
      `<form action="/x"><input name="raw" value="a > b < c"><input name='esc' value='&lt;script&gt;'><input name=after value=ok></form>`,
      PAGE,
    );
    expect(form?.controls.map((c) => [c.name, c.value])).toEqual([
      ["raw", "a > b < c"],
      ["esc", "<script>"],
      ["after", "ok"],
    ]);
  });

  it("finds several forms, each with its own controls; a control outside every form is ignored", () => {
    const forms = parseForms(
      `<input name="stray" value="1">
       <form action="/login" method="post"><input name="login"><input type="password" name="password"></form>
       <p>between</p>
       <form id="second"><input name="q" value="2"></form>
       <input name="tied" value="3" form="second">`,
      PAGE,
    );
    expect(forms.map((form) => [form.action.pathname, form.method, form.controls.map((c) => c.name)])).toEqual([
      ["/login", "POST", ["login", "password"]],
      ["/authorize", "GET", ["q", "tied"]],
    ]);
    // No action: the page URL itself, query included.
    expect(forms[1]?.action.href).toBe(PAGE);
  });

  it("does not see forms in comments, scripts, styles or textareas; a nested <form> is ignored", () => {
    const forms = parseForms(
      `<!-- <form action="/commented"><input name="handle" value="c"></form> -->
       <script>const s = '<form action="/script"><input name="handle">'; if (a </b) {}</script>
       <style>form::after { content: "<form action='/style'>"; }</style>
       <form action="/real" method="post">
         <textarea name="note">
line &lt;1&gt; <form action="/textarea"><input name="inner"></textarea>
         <form action="/nested"><input name="kept" value="k"></form>
       <form action="/after"></form>`,
      PAGE,
    );
    expect(forms.map((form) => form.action.pathname)).toEqual(["/real", "/after"]);
    expect(forms[0]?.controls.map((c) => [c.name, c.value])).toEqual([
      ["note", 'line <1> <form action="/textarea"><input name="inner">'],
      ["kept", "k"],
    ]);
  });

  it("first of duplicate attributes wins; valueless attributes are present; names are case-insensitive", () => {
    const [form] = parseForms(
      `<form action=/a><input NAME="first" name="second" value="v" DISABLED><input type=checkbox name=c CHECKED/></form>`,
      PAGE,
    );
    expect(form?.controls).toEqual([
      { tag: "input", type: "text", name: "first", value: "v", checked: false, disabled: true },
      { tag: "input", type: "checkbox", name: "c", value: "on", checked: true, disabled: false },
    ]);
  });

  it("reads a select's selected option, or its first", () => {
    const forms = parseForms(
      `<form><select name="a"><option value="1">one<option value="2" selected>two</select></form>
       <form><select name="b"><option value="x"><option value="y"></select></form>`,
      PAGE,
    );
    expect(forms.map((form) => form.controls[0]?.value)).toEqual(["2", "x"]);
  });
});

describe("formEntries", () => {
  const [form] = parseForms(
    `<form method="post" action="/authorize">
       <input type="hidden" name="handle" value="h1">
       <input type="checkbox" name="scope" value="notes:read" checked>
       <input type="checkbox" name="scope" value="notes:write">
       <input type="radio" name="r" value="a"><input type="radio" name="r" value="b" checked>
       <input name="disabled" value="x" disabled>
       <input value="no name">
       <input type="reset" name="reset" value="r"><input type="button" name="btn" value="b"><input type="file" name="f">
       <button type="button" name="plain" value="p">
       <button type="submit" name="decision" value="approve">
       <input type="submit" name="decision" value="deny">
     </form>`,
    PAGE,
  );
  if (form === undefined) throw new Error("no form");

  it("submits what a browser would: checked boxes only, enabled named controls, the clicked button only", () => {
    const approve = form.controls.find((c) => isSubmitButton(c) && c.value === "approve");
    expect(formEntries(form, approve)).toEqual([
      ["handle", "h1"],
      ["scope", "notes:read"],
      ["r", "b"],
      ["decision", "approve"],
    ]);
    const deny = form.controls.find((c) => isSubmitButton(c) && c.value === "deny");
    expect(formEntries(form, deny).at(-1)).toEqual(["decision", "deny"]);
    expect(formEntries(form)).toEqual([
      ["handle", "h1"],
      ["scope", "notes:read"],
      ["r", "b"],
    ]);
  });
});

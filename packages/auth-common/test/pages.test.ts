import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  clientConfigs,
  INSPECTOR_PACKAGE,
  MCP_REMOTE_PACKAGE,
  type ClientConfig,
} from "../src/pages/client-configs.ts";
import { consentPage } from "../src/pages/consent-page.ts";
import { messagePage } from "../src/pages/message-page.ts";
import {
  COPY_BUTTONS_SCRIPT,
  COPY_BUTTONS_SCRIPT_HASH,
  escapeHtml,
  html,
  layout,
  pageHeaders,
  raw,
  SafeHtml,
} from "../src/pages/html.ts";
import { landingPage, type LandingPageContent } from "../src/pages/landing-page.ts";

const HOSTILE = [
  "<script>alert(1)</script>",
  '"><img src=x onerror=alert(1)>',
  "'><svg onload=alert(1)>",
  "&lt;already-escaped&gt;",
  "</code></pre><iframe src=//evil>",
  "a & b < c > d \" e ' f",
];

/** Undoes exactly the five entities escapeHtml produces. */
function unescape(text: string): string {
  return text
    .replaceAll("&#39;", "'")
    .replaceAll("&quot;", '"')
    .replaceAll("&gt;", ">")
    .replaceAll("&lt;", "<")
    .replaceAll("&amp;", "&");
}

describe("escapeHtml / html``", () => {
  it("escapes the five HTML-significant characters", () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;",
    );
    expect(html`<p>${`<a href="x" title='y'>&</a>`}</p>`.value).toBe(
      "<p>&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;</p>",
    );
  });

  it.each(HOSTILE)("an interpolated %j cannot produce markup and round-trips", (text) => {
    const out = html`<td title="${text}">${text}</td>`.value;
    const inner = out.slice('<td title="'.length, out.length - "</td>".length);
    const [attribute, body] = inner.split('">');
    expect(inner.split('">')).toHaveLength(2);
    for (const part of [attribute ?? "", body ?? ""]) {
      expect(part).not.toMatch(/[<>"']/);
      expect(part).not.toMatch(/&(?!(amp|lt|gt|quot|#39);)/);
      expect(unescape(part)).toBe(text);
    }
  });

  it("escapes every item of an array, recursively", () => {
    const items = ["<a>", ["&", ["'"]], html`<li>ok</li>`];
    // prettier-ignore
    const list = html`<ul>${items}</ul>`;
    expect(list.value).toBe("<ul>&lt;a&gt;&amp;&#39;<li>ok</li></ul>");
  });

  it("passes SafeHtml through without double escaping", () => {
    const inner = html`<b>${"<i>"}</b>`;
    expect(inner).toBeInstanceOf(SafeHtml);
    expect(html`<p>${inner}</p>`.value).toBe("<p><b>&lt;i&gt;</b></p>");
    expect(html`${raw("<hr>")}`.value).toBe("<hr>");
    expect(String(raw("<br>"))).toBe("<br>");
  });

  it.each<[string, null | undefined | false]>([
    ["null", null],
    ["undefined", undefined],
    ["false", false],
  ])("%s renders as nothing", (_label, value) => {
    expect(html`[${value}]`.value).toBe("[]");
    expect(html`[${[value, "x", value]}]`.value).toBe("[x]");
  });

  it("renders numbers, including 0", () => {
    expect(html`${0}|${42}|${-1.5}`.value).toBe("0|42|-1.5");
  });

  it("an interpolation-free template is returned as is", () => {
    expect(html`<p>plain</p>`.value).toBe("<p>plain</p>");
  });

  it("layout escapes the title", () => {
    const page = layout("<script>x</script>", raw("<p>body</p>")).value;
    expect(page).toContain("<title>&lt;script&gt;x&lt;/script&gt;</title>");
    expect(page).toContain("<main><p>body</p></main>");
    expect(page).not.toContain("<script>");
  });
});

describe("pageHeaders", () => {
  it("forbids framing, sniffing, scripts, caching and referrers", () => {
    const headers = pageHeaders();
    const csp = new Map(
      (headers.get("content-security-policy") ?? "").split(";").map((directive) => {
        const [name = "", ...values] = directive.trim().split(/\s+/);
        return [name, values] as const;
      }),
    );
    expect(csp.get("frame-ancestors")).toEqual(["'none'"]);
    expect(csp.get("default-src")).toEqual(["'none'"]);
    expect(csp.get("base-uri")).toEqual(["'none'"]);
    expect(csp.has("script-src")).toBe(false);
    expect(headers.get("x-frame-options")).toBe("DENY");
    expect(headers.get("x-content-type-options")).toBe("nosniff");
    expect(headers.get("referrer-policy")).toBe("no-referrer");
    expect(headers.get("cache-control")).toBe("no-store");
    expect(headers.get("content-type")).toBe("text/html; charset=utf-8");
  });

  function formAction(headers: Headers): string[] {
    const directive = (headers.get("content-security-policy") ?? "")
      .split(";")
      .map((part) => part.trim().split(/\s+/))
      .find(([name]) => name === "form-action");
    return directive?.slice(1) ?? [];
  }

  it("lets forms lead only to this origin by default", () => {
    expect(formAction(pageHeaders())).toEqual(["'self'"]);
  });

  it("widens form-action to exactly the given targets' origins (or a native client's scheme)", () => {
    const headers = pageHeaders({
      formAction: [
        "http://127.0.0.1:33418/callback?x=1",
        "https://client.example/cb",
        "https://client.example/other",
        "cursor://anysphere.cursor-retrieval/oauth/callback",
      ],
    });
    expect(formAction(headers)).toEqual(["'self'", "http://127.0.0.1:33418", "https://client.example", "cursor:"]);
  });

  it.each([
    "javascript:alert(1)",
    "data:text/html,x",
    "vbscript:x",
    "file:///etc/passwd",
    "not a url",
    "https://a.example; script-src *",
  ])("refuses %j as a form-action target", (target) => {
    expect(() => pageHeaders({ formAction: [target] })).toThrow();
  });

  function scriptSrc(headers: Headers): string[] | undefined {
    const directive = (headers.get("content-security-policy") ?? "")
      .split(";")
      .map((part) => part.trim().split(/\s+/))
      .find(([name]) => name === "script-src");
    return directive?.slice(1);
  }

  it("allows exactly the copy-button script, by the hash of its text, when asked", () => {
    const digest = createHash("sha256").update(COPY_BUTTONS_SCRIPT, "utf8").digest("base64");
    expect(COPY_BUTTONS_SCRIPT_HASH).toBe(`'sha256-${digest}'`);
    expect(scriptSrc(pageHeaders({ copyButtons: true }))).toEqual([`'sha256-${digest}'`]);
    expect(scriptSrc(pageHeaders({ copyButtons: false }))).toBeUndefined();
    expect(pageHeaders({ copyButtons: true }).get("content-security-policy")).not.toMatch(/script-src[^;]*unsafe/);
    // The rest of the policy is unchanged.
    const without = (headers: Headers) =>
      (headers.get("content-security-policy") ?? "")
        .split(";")
        .map((part) => part.trim())
        .filter((part) => !part.startsWith("script-src"));
    expect(without(pageHeaders({ copyButtons: true }))).toEqual(without(pageHeaders()));
  });

  it("layout carries the script, byte for byte as hashed, only when asked", () => {
    const withScript = layout("t", raw("<pre><code>x</code></pre>"), { copyButtons: true }).value;
    expect(withScript.split("<script>")).toHaveLength(2);
    expect(withScript).toContain(`<script>${COPY_BUTTONS_SCRIPT}</script>`);
    expect(layout("t", raw("<p>x</p>")).value).not.toContain("<script");
  });

  it("returns a fresh object each call", () => {
    const first = pageHeaders();
    first.set("x-frame-options", "SAMEORIGIN");
    expect(pageHeaders().get("x-frame-options")).toBe("DENY");
  });
});

function byClient(configs: readonly ClientConfig[], client: string): ClientConfig {
  const config = configs.find((candidate) => candidate.client === client);
  if (config === undefined) throw new Error(`no config for ${client}`);
  return config;
}

function parsed(config: ClientConfig): Record<string, Record<string, Record<string, unknown>>> {
  return JSON.parse(config.snippet) as Record<string, Record<string, Record<string, unknown>>>;
}

/** The package each `npx` in a snippet runs: from a shell line, or from a JSON `command`/`args`. */
function npxPackages(snippet: string): string[] {
  const firstNonFlag = (args: readonly string[]) => args.find((arg) => !arg.startsWith("-")) ?? "";
  if (snippet.startsWith("{")) {
    const servers = Object.values(parsed({ client: "", where: "", snippet }))[0] ?? {};
    return Object.values(servers)
      .filter((server) => server["command"] === "npx")
      .map((server) => firstNonFlag(server["args"] as string[]));
  }
  const words = snippet.split(/\s+/);
  return words.flatMap((word, index) => (word === "npx" ? [firstNonFlag(words.slice(index + 1))] : []));
}

describe("clientConfigs", () => {
  const URL_ = "https://mcp.example.com/mcp";
  const CLIENTS = ["Claude Code", "Claude Desktop", "Cursor", "VS Code", "MCP Inspector", "mcp-remote"];

  it("covers the common clients, each pointing at the MCP URL", () => {
    const configs = clientConfigs("token-validation", URL_);
    expect(configs.map((config) => config.client)).toEqual(CLIENTS);
    for (const config of configs) {
      expect(config.snippet).toContain(URL_);
      expect(config.where.length).toBeGreaterThan(0);
    }
  });

  it("for an app that signs people in, MCP Inspector is the web UI, with what its CLI needs and cannot do", () => {
    const inspector = byClient(clientConfigs("oauth-proxy", URL_, {}, { signIn: true }), "MCP Inspector");
    expect(inspector.snippet).toBe(`npx -y ${INSPECTOR_PACKAGE} --transport http --server-url ${URL_}`);
    expect(inspector.where).toMatch(/sign in in the browser/);
    expect(inspector.where).toContain("Node ≥ 22.19");
    expect(inspector.note).toContain("MCP_AUTO_OPEN_ENABLED=true");
    expect(inspector.note).toContain("“Tool 'notes_add' not found”");
    const cli = byClient(clientConfigs("no-auth", URL_), "MCP Inspector");
    expect(cli.snippet).toBe(`npx -y ${INSPECTOR_PACKAGE} --cli ${URL_} --transport http --method tools/list`);
    expect(cli.where).toContain("Node ≥ 22.19");
    expect(cli.note).toBeUndefined();
  });

  it("the page prints a client's note under its snippet, escaped", async () => {
    const page = await landingPage(new Request("https://mcp.example.com/"), {
      pattern: "oauth-proxy",
      title: "OAuth proxy",
      summary: "People sign in upstream.",
      howItWorks: [],
      risks: [],
      tools: [],
      signIn: true,
    }).text();
    expect(page).toMatch(
      /<pre><code>npx -y @modelcontextprotocol\/inspector@[^<]+<\/code><\/pre>\s*<p class="note">CLI mode[^<]*MCP_AUTO_OPEN_ENABLED=true[^<]*“Tool &#39;notes_add&#39; not found”/,
    );
  });

  it("pins every package it runs through npx to an exact version", () => {
    expect(INSPECTOR_PACKAGE).toMatch(/^@modelcontextprotocol\/inspector@\d+\.\d+\.\d+$/);
    expect(MCP_REMOTE_PACKAGE).toMatch(/^mcp-remote@\d+\.\d+\.\d+$/);
    for (const signIn of [false, true]) {
      const configs = clientConfigs("x", URL_, { Authorization: "Bearer <key>" }, { signIn });
      const runs = configs.flatMap((config) => npxPackages(config.snippet));
      expect(runs.length).toBeGreaterThanOrEqual(3);
      for (const run of runs) expect(run).toMatch(/^(@[a-z0-9-]+\/)?[a-z0-9-]+@\d+\.\d+\.\d+$/);
    }
  });

  it("without headers: no headers key and no --header flag", () => {
    const configs = clientConfigs("no-auth", URL_);
    expect(parsed(byClient(configs, "Cursor"))).toStrictEqual({ mcpServers: { "no-auth": { url: URL_ } } });
    expect(parsed(byClient(configs, "VS Code"))).toStrictEqual({ servers: { "no-auth": { type: "http", url: URL_ } } });
    expect(parsed(byClient(configs, "Claude Desktop"))).toStrictEqual({
      mcpServers: { "no-auth": { command: "npx", args: ["-y", MCP_REMOTE_PACKAGE, URL_] } },
    });
    for (const config of configs) expect(config.snippet).not.toContain("--header");
    expect(byClient(configs, "Claude Code").snippet).toBe(`claude mcp add --transport http no-auth ${URL_}`);
    expect(byClient(configs, "mcp-remote").snippet).toBe(`npx -y ${MCP_REMOTE_PACKAGE} ${URL_}`);
  });

  it("with headers: they appear in every client's configuration", () => {
    const headers = { Authorization: "Bearer <your-api-key>", "X-Tenant": "<tenant>" };
    const configs = clientConfigs("token-validation", URL_, headers);
    expect(parsed(byClient(configs, "Cursor"))).toStrictEqual({
      mcpServers: { "token-validation": { url: URL_, headers } },
    });
    expect(parsed(byClient(configs, "VS Code"))).toStrictEqual({
      servers: { "token-validation": { type: "http", url: URL_, headers } },
    });
    expect(parsed(byClient(configs, "Claude Desktop"))).toStrictEqual({
      mcpServers: {
        "token-validation": {
          command: "npx",
          args: [
            "-y",
            MCP_REMOTE_PACKAGE,
            URL_,
            "--header",
            "Authorization:Bearer <your-api-key>",
            "--header",
            "X-Tenant:<tenant>",
          ],
        },
      },
    });
    const claude = byClient(configs, "Claude Code").snippet;
    expect(claude).toContain('--header "Authorization: Bearer <your-api-key>"');
    expect(claude).toContain('--header "X-Tenant: <tenant>"');
    expect(byClient(configs, "MCP Inspector").snippet).toBe(
      `npx -y ${INSPECTOR_PACKAGE} --cli ${URL_} --transport http --method tools/list` +
        ' --header "Authorization: Bearer <your-api-key>" --header "X-Tenant: <tenant>"',
    );
    expect(byClient(configs, "mcp-remote").snippet).toBe(
      `npx -y ${MCP_REMOTE_PACKAGE} ${URL_} --header "Authorization:Bearer <your-api-key>" --header X-Tenant:<tenant>`,
    );
  });

  it("does not alias the caller's headers object", () => {
    const headers: Record<string, string> = { Authorization: "Bearer <key>" };
    const configs = clientConfigs("x", URL_, headers);
    headers["Authorization"] = "changed";
    expect(parsed(byClient(configs, "Cursor"))["mcpServers"]?.["x"]?.["headers"]).toEqual({
      Authorization: "Bearer <key>",
    });
  });
});

describe("landingPage", () => {
  const CONTENT: LandingPageContent = {
    pattern: "token-validation",
    title: "Token validation",
    summary: "Callers present a bearer token.",
    howItWorks: ["Send the token", "The server verifies it"],
    risks: ["Token theft"],
    clientHeaders: { Authorization: "Bearer <your-api-key>" },
    settings: [["ALLOWED_HOSTNAMES", "mcp.example.com"]],
    tools: [
      { name: "whoami", description: "Shows who you are", scope: undefined },
      { name: "notes_add", description: "Stores a note", scope: "notes:write" },
    ],
  };

  it.each([
    ["https://mcp.example.com/", "https://mcp.example.com/mcp"],
    ["https://mcp.example.com/some/page?x=1#y", "https://mcp.example.com/mcp"],
    ["http://localhost:8787/", "http://localhost:8787/mcp"],
    ["https://other.example:8443/", "https://other.example:8443/mcp"],
  ])("derives the MCP URL from %s", async (url, mcpUrl) => {
    const response = landingPage(new Request(url), CONTENT);
    const page = await response.text();
    expect(page).toContain(`<code>${mcpUrl}</code>`);
    const cursor = /"url": "([^"&]*)"|&quot;url&quot;: &quot;(.*?)&quot;/.exec(page);
    expect(cursor?.[2] ?? cursor?.[1]).toBe(mcpUrl);
  });

  it("serves HTML with the page headers", async () => {
    const response = landingPage(new Request("https://mcp.example.com/"), CONTENT);
    expect(response.status).toBe(200);
    expect([...response.headers]).toEqual([...pageHeaders({ copyButtons: true })]);
    const page = await response.text();
    expect(page.startsWith("<!doctype html>")).toBe(true);
    expect(page).toContain("<title>Token validation — MCP auth patterns</title>");
    expect(page).toContain("<li>Send the token</li><li>The server verifies it</li>");
    expect(page).toMatch(
      /<td><code class="name">ALLOWED_HOSTNAMES<\/code><\/td>\s*<td><code>mcp\.example\.com<\/code><\/td>/,
    );
    expect(page).toContain("Bearer &lt;your-api-key&gt;");
    // One script, the hashed one, after the content it adds buttons to.
    expect(page.split("<script")).toHaveLength(2);
    expect(page).toContain(`<script>${COPY_BUTTONS_SCRIPT}</script>`);
    expect(page.indexOf("<script>")).toBeGreaterThan(page.lastIndexOf("</pre>"));
  });

  it("lists the tools it is given, with their scopes", async () => {
    const page = await landingPage(new Request("https://mcp.example.com/"), CONTENT).text();
    expect(page).toMatch(
      /<td><code class="name">whoami<\/code><\/td>\s*<td>any caller<\/td>\s*<td>Shows who you are<\/td>/,
    );
    expect(page).toMatch(
      /<td><code class="name">notes_add<\/code><\/td>\s*<td><code class="name">notes:write<\/code><\/td>\s*<td>Stores a note<\/td>/,
    );
    const none = await landingPage(new Request("https://mcp.example.com/"), { ...CONTENT, tools: [] }).text();
    expect(none).not.toContain("<code>whoami</code>");
  });

  it("shows how to get a credential, with each command in its own block, only when given", async () => {
    const withSteps = await landingPage(new Request("https://mcp.example.com/"), {
      ...CONTENT,
      credentials: [{ how: "Make a key:", command: "npm run keys -- create --owner you" }, { how: "Sign in." }],
    }).text();
    expect(withSteps).toContain("<h2>Get a credential</h2>");
    expect(withSteps).toMatch(
      /<p>Make a key:<\/p>\s*<pre><code>npm run keys -- create --owner you<\/code><\/pre>\s*<p>Sign in\.<\/p>/,
    );
    const without = await landingPage(new Request("https://mcp.example.com/"), CONTENT).text();
    expect(without).not.toContain("Get a credential");
  });

  it("omits the configuration table without settings", async () => {
    const content: LandingPageContent = { ...CONTENT, settings: undefined };
    const page = await landingPage(new Request("https://mcp.example.com/"), content).text();
    expect(page).not.toContain("Configuration of this deployment");
    const empty = await landingPage(new Request("https://mcp.example.com/"), { ...content, settings: [] }).text();
    expect(empty).not.toContain("Configuration of this deployment");
  });

  it.each(HOSTILE)("escapes the hostile string %j wherever content is shown", async (hostile) => {
    const content: LandingPageContent = {
      pattern: "no-auth",
      title: hostile,
      summary: hostile,
      howItWorks: [hostile],
      risks: [hostile],
      clientHeaders: { "X-Hostile": hostile },
      settings: [[hostile, hostile]],
      tools: [{ name: hostile, description: hostile, scope: hostile }],
      credentials: [{ how: hostile, command: hostile }],
    };
    const page = await landingPage(new Request("https://mcp.example.com/"), content).text();
    expect(page).not.toContain(hostile);
    expect(page).toContain(escapeHtml(hostile));
    // The copy-button script is the page's own; nothing else may be markup of that kind.
    const ownScript = `<script>${COPY_BUTTONS_SCRIPT}</script>`;
    expect(page.split(ownScript)).toHaveLength(2);
    expect(page.replace(ownScript, "")).not.toMatch(/<(script|img|svg|iframe)/i);
  });
});

describe("the consent and message pages", () => {
  const CLIENT = {
    clientId: "c1",
    clientName: "Some app",
    redirectHost: "127.0.0.1:33418",
    redirectIsLoopback: true,
  };

  it.each([
    ["U+202E right-to-left override", "\u202E"],
    ["U+2066 left-to-right isolate", "\u2066"],
    ["U+200B zero-width space", "\u200B"],
    ["U+061C Arabic letter mark", "\u061C"],
    ["U+0007 bell", "\u0007"],
  ])(
    "show a client name's %s as U+FFFD (a metadata document's name is never checked at registration)",
    async (_name, char) => {
      const page = await consentPage({
        client: { ...CLIENT, clientName: `Notes ${char}exe.fdp`, clientDomain: "client.example" },
        handle: "h1",
        scopes: [],
        serverName: "MCP test server",
        formAction: [],
      }).text();
      expect(page).not.toContain(char);
      expect(page).toContain("Notes \uFFFDexe.fdp");
    },
  );

  it("carry no script and allow none (they have nothing to copy)", async () => {
    const responses = [
      consentPage({
        client: CLIENT,
        handle: "h1",
        scopes: [{ scope: "notes:read", description: "Read notes", checked: true }],
        serverName: "MCP test server",
        formAction: ["http://127.0.0.1:33418/callback"],
      }),
      messagePage(400, "Expired", "This form has expired."),
    ];
    for (const response of responses) {
      const csp = response.headers.get("content-security-policy") ?? "";
      expect(csp).toMatch(/default-src 'none'/);
      expect(csp).not.toMatch(/script-src/);
      const page = await response.text();
      expect(page).not.toMatch(/<script/i);
      expect(page).not.toMatch(/class="copy"/);
    }
  });
});

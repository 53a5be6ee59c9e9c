// The scenario runners' pure parts: how an answer becomes a cell's words, and which servers a
// selection of columns needs. (Each scenario against the real apps: compare.e2e.test.ts.)
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { countLines, cursorConfig, outcome, parseBody } from "../lib/scenarios.ts";
import { serversFor } from "../lib/stack.ts";

describe("outcome: an answer in a few words", () => {
  it.each([
    [401, { error: "invalid_token", error_description: "x" }, "HTTP 401 invalid_token"],
    [
      403,
      { jsonrpc: "2.0", error: { code: -32000, message: "Forbidden: Invalid Host: evil.example" } },
      "HTTP 403 Forbidden: Invalid Host: evil.example",
    ],
    [200, { jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: "hi" }] } }, "200 result"],
    [
      200,
      { jsonrpc: "2.0", id: 1, result: { isError: true, content: [{ type: "text", text: "needs notes:write" }] } },
      "200 tool error: needs notes:write",
    ],
    [200, { jsonrpc: "2.0", id: 1, error: { code: -32602, message: "bad" } }, "200 JSON-RPC error -32602"],
    [500, undefined, "HTTP 500"],
  ])("%i %j → %s", (status, body, expected) => {
    expect(outcome({ status, body })).toBe(expected);
  });
});

describe("parseBody", () => {
  it("reads JSON, the first data line of an SSE answer, and nothing else", () => {
    expect(parseBody('{"a":1}')).toEqual({ a: 1 });
    expect(parseBody('event: message\ndata: {"b":2}\n\n')).toEqual({ b: 2 });
    expect(parseBody("not json")).toBeUndefined();
    expect(parseBody("data: {broken")).toBeUndefined();
  });
});

describe("countLines", () => {
  it("counts non-blank lines of .ts files, recursively, and nothing else", () => {
    const dir = mkdtempSync(join(tmpdir(), "compare-lines-"));
    mkdirSync(join(dir, "sub"));
    writeFileSync(join(dir, "a.ts"), "one\n\n two\n");
    writeFileSync(join(dir, "sub", "b.ts"), "three\n");
    writeFileSync(join(dir, "c.md"), "not code\n");
    expect(countLines(dir)).toBe(3);
  });
});

describe("serversFor", () => {
  it("starts what the columns need, the other OAuth app for each OAuth column, and always the baseline", () => {
    expect(serversFor(["no-auth"])).toEqual(["no-auth", "baseline-rl"]);
    expect(serversFor(["tv-jwt", "tv-api-key"])).toEqual(["tv-keys", "baseline-rl"]);
    expect(serversFor(["oauth-proxy"])).toEqual(["oauth-proxy", "full-oauth-provider", "baseline-rl"]);
  });
});

describe("cursorConfig", () => {
  it("reads the Cursor block of a landing page as one line of JSON, and nothing else", () => {
    const page =
      "<h3>Claude Code <small>— terminal</small></h3><pre><code>claude mcp add x</code></pre>" +
      '<h3>Cursor <small class="lead">— ~/.cursor/mcp.json</small></h3>' +
      "<pre><code>{\n  &quot;mcpServers&quot;: {\n    &quot;x&quot;: { &quot;url&quot;: &quot;http://h/mcp&quot; }\n  }\n}</code></pre>";
    expect(cursorConfig(page)).toBe('{"mcpServers":{"x":{"url":"http://h/mcp"}}}');
    expect(cursorConfig("<h3>VS Code</h3><pre><code>{}</code></pre>")).toBeUndefined();
    expect(cursorConfig("<h3>Cursor</h3><pre><code>not json</code></pre>")).toBeUndefined();
  });
});

import { describe, expect, it } from "vitest";
import { connectClient } from "../clients.ts";
import { jsonRpcOf, rawRequest, type RawResponse } from "@mcp-auth/dev-harness";

/** How the transport suite reaches a running app. */
export interface TransportTarget {
  /** Origin of the app under `wrangler dev`, e.g. `http://127.0.0.1:40123`. */
  origin: () => string;
  /** Credential headers that let a request through authentication (none for no-auth). */
  headers?: () => Promise<Record<string, string>>;
  /** The app's per-address limit in requests per period (the flood sends more than this). */
  rateLimit: number;
}

const LIST = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" });
const ADD = (text: string, id = 1) =>
  ({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "notes_add", arguments: { text } } }) as const;
const MODERN_META = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": {},
  "io.modelcontextprotocol/clientInfo": { name: "attack-suite", version: "1.0.0" },
};

/** Asserts an HTTP status and the JSON-RPC error the body carries. */
function expectRpcError(response: RawResponse, status: number, code: number, message: RegExp | string): void {
  expect(response.status).toBe(status);
  const error = jsonRpcOf(response.body).error;
  expect(error?.code).toBe(code);
  if (typeof message === "string") expect(error?.message).toBe(message);
  else expect(error?.message).toMatch(message);
}

/**
 * The "every app (transport)" cases of attack-cases.md against a running app: each bad request
 * gets the 4xx the spec asks for, a clear JSON-RPC error, never a 5xx, and changes nothing.
 */
export function describeTransportAttacks(target: TransportTarget): void {
  let address = 0;
  /** Each request from its own address, so the per-address limit never interferes. */
  async function send(
    options: {
      method?: string;
      headers?: Record<string, string | string[]>;
      body?: string | Buffer;
      path?: string;
    } = {},
  ) {
    const credential = (await target.headers?.()) ?? {};
    return rawRequest(`${target.origin()}${options.path ?? "/mcp"}`, {
      method: options.method ?? "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": "2025-06-18",
        "cf-connecting-ip": `10.66.${Math.floor(++address / 250)}.${address % 250}`,
        ...credential,
        ...options.headers,
      },
      ...(options.body === undefined ? {} : { body: options.body }),
    });
  }
  async function noteCount(): Promise<number> {
    const client = await connectClient("sdk-v2 (2025)", {
      url: new URL("/mcp", target.origin()),
      headers: { ...((await target.headers?.()) ?? {}), "cf-connecting-ip": "10.65.0.1" },
    });
    try {
      const result = await client.callTool("notes_list", {});
      return (result.structuredContent?.["notes"] as unknown[]).length;
    } finally {
      await client.close();
    }
  }

  describe("transport: bad input gets a clear 4xx and changes nothing", () => {
    it.each([
      ["an Origin of another site", { origin: "https://evil.example" }, /^Forbidden: Invalid Origin: evil\.example$/],
      ["the opaque Origin null", { origin: "null" }, /^Forbidden: Invalid Origin header: null$/],
      ["a Host of another name (DNS rebinding)", { host: "evil.example" }, /^Forbidden: Invalid Host: evil\.example$/],
    ])("%s → 403", async (_name, headers, message) => {
      expectRpcError(await send({ headers, body: LIST }), 403, -32000, message);
    });

    it.each([
      // [name, status, body, …]: the label's %i is the second value.
      ["malformed JSON", 400, "{not json", -32700, /not valid JSON/],
      ["JSON that is not JSON-RPC", 400, JSON.stringify({ hello: "world" }), -32600, /not a valid JSON-RPC message/],
      ["nesting deeper than 32 levels", 400, `${"[".repeat(40)}1${"]".repeat(40)}`, -32700, /nested deeper than 32/],
      ["a body over 64 KiB", 413, JSON.stringify(ADD("x".repeat(70_000))), -32000, /larger than 65536 bytes/],
    ])("%s → %i", async (_name, status, body, code, message) => {
      const before = await noteCount();
      expectRpcError(await send({ body }), status, code, message);
      expect(await noteCount()).toBe(before);
    });

    it("invalid UTF-8 → 400 parse error", async () => {
      const response = await send({ body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]) });
      expectRpcError(response, 400, -32700, "Parse error: the request body is not valid UTF-8");
    });

    it("a JSON-RPC batch under 2025-06-18 → 400 and none of its writes happen", async () => {
      const before = await noteCount();
      const response = await send({ body: JSON.stringify([ADD("batched 1", 1), ADD("batched 2", 2)]) });
      expect(response.status).toBe(400);
      expect(jsonRpcOf(response.body).error).toEqual({
        code: -32600,
        message: "Invalid Request: JSON-RPC batches are not allowed in protocol revision 2025-06-18",
      });
      expect(await noteCount()).toBe(before);
    });

    it("a JSON-RPC batch under 2025-03-26 is still served (that revision allowed batches)", async () => {
      const response = await send({
        headers: { "mcp-protocol-version": "2025-03-26" },
        body: JSON.stringify([JSON.parse(LIST) as unknown, { ...(JSON.parse(LIST) as object), id: 2 }]),
      });
      expect(response.status).toBe(200);
      expect(response.body).toContain('"tools"');
    });

    it("a Content-Type other than JSON → 415", async () => {
      const response = await send({ headers: { "content-type": "text/plain" }, body: LIST });
      expect(response.status).toBe(415);
      expect(jsonRpcOf(response.body).error).toEqual({
        code: -32000,
        message: "Unsupported Media Type: Content-Type must be application/json",
      });
    });

    it("an Accept without text/event-stream → 406", async () => {
      const response = await send({ headers: { accept: "application/json" }, body: LIST });
      expect(response.status).toBe(406);
      expect(jsonRpcOf(response.body).error?.message).toMatch(/^Not Acceptable: Client must accept both/);
    });

    it("an unknown method → JSON-RPC -32601", async () => {
      const response = await send({ body: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "admin/drop_everything" }) });
      expect(response.status).toBeLessThan(500);
      expect(jsonRpcOf(response.body)).toMatchObject({ id: 7, error: { code: -32601, message: "Method not found" } });
    });

    it.each([
      [
        "initialize with protocolVersion 42",
        {
          method: "initialize",
          params: { protocolVersion: 42, capabilities: {}, clientInfo: { name: "a", version: "1" } },
        },
        "Invalid params: initialize: params.protocolVersion: Invalid input: expected string, received number",
      ],
      [
        "tools/list with a numeric cursor",
        { method: "tools/list", params: { cursor: 5 } },
        "Invalid params: tools/list: params.cursor: Invalid input: expected string, received number",
      ],
    ])("%s → 400 -32602 naming the field, not -32603 with a schema dump", async (_name, message, expected) => {
      const response = await send({ body: JSON.stringify({ jsonrpc: "2.0", id: 11, ...message }) });
      expectRpcError(response, 400, -32602, expected);
      expect(jsonRpcOf(response.body).id).toBe(11);
    });

    it("a tools/call of a 40 KB tool name → 400 -32602, the name not echoed back", async () => {
      const name = "x".repeat(40_000);
      const response = await send({
        body: JSON.stringify({ jsonrpc: "2.0", id: 12, method: "tools/call", params: { name, arguments: {} } }),
      });
      expectRpcError(
        response,
        400,
        -32602,
        "Invalid params: tool name too long (params.name has more than 128 characters)",
      );
      expect(response.body.length).toBeLessThan(300);
    });

    it("a 40 KB method name → 400 -32601, the name not echoed back", async () => {
      const response = await send({ body: JSON.stringify({ jsonrpc: "2.0", id: 13, method: "m".repeat(40_000) }) });
      expectRpcError(response, 400, -32601, "Method not found: the method name has more than 128 characters");
      expect(response.body.length).toBeLessThan(300);
    });

    it.each(["1999-01-01", "latest", "2025-06-18; drop"])("MCP-Protocol-Version %j → 400", async (version) => {
      const response = await send({ headers: { "mcp-protocol-version": version }, body: LIST });
      expect(response.status).toBe(400);
      expect(jsonRpcOf(response.body).error?.message).toMatch(/Unsupported protocol version|MCP-Protocol-Version/);
    });

    it("2026-07-28: an Mcp-Method header that disagrees with the body → 400 -32020", async () => {
      const response = await send({
        headers: { "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 3, method: "tools/list", params: { _meta: MODERN_META } }),
      });
      expectRpcError(response, 400, -32020, /the request headers and body disagree/);
    });

    it("one header over 8 KiB → 431", async () => {
      const response = await send({ headers: { "x-padding": "a".repeat(20_000) }, body: LIST });
      expect(response.status).toBe(431);
      expect(jsonRpcOf(response.body).error?.message).toBe("Request header x-padding is larger than 8448 bytes");
    });

    it("headers over 32 KiB in total → 431", async () => {
      const padding = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`x-padding-${i}`, "a".repeat(5000)]));
      const response = await send({ headers: padding, body: LIST });
      expect(response.status).toBe(431);
      expect(jsonRpcOf(response.body).error?.message).toBe("Request headers are larger than 32768 bytes in total");
    });

    it.each(["GET", "DELETE"])("%s /mcp → 405 (stateless server: no standalone stream, no session)", async (method) => {
      const response = await send({ method, headers: { accept: "text/event-stream" } });
      expect(response.status).toBe(405);
      expect(jsonRpcOf(response.body).error?.message).toBe("Method not allowed.");
    });

    it("a flood from one address → 429 with Retry-After, other addresses unaffected", async () => {
      const flooder = `10.67.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
      const statuses: number[] = [];
      let retryAfter: string | string[] | undefined;
      let message: string | undefined;
      // The limiter counts in fixed windows; one window may roll over mid-flood, hence up to 2×.
      for (let sent = 0; sent < 2 * target.rateLimit + 60; sent += 30) {
        if (statuses.filter((status) => status === 429).length >= 50) break;
        const batch = await Promise.all(
          Array.from({ length: 30 }, () => send({ headers: { "cf-connecting-ip": flooder }, body: LIST })),
        );
        for (const response of batch) {
          statuses.push(response.status);
          if (response.status === 429 && message === undefined) {
            retryAfter = response.headers["retry-after"];
            message = jsonRpcOf(response.body).error?.message;
          }
        }
      }
      expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(50);
      expect(statuses.every((status) => status === 200 || status === 429)).toBe(true);
      expect(Number(retryAfter)).toBeGreaterThan(0);
      expect(message).toMatch(/^Too many requests from this address; retry after \d+ seconds\.$/);
      expect((await send({ body: LIST })).status).toBe(200);
    });

    it("200 hostile requests: never a 5xx", async () => {
      const bodies = [
        "",
        "null",
        "[]",
        "{}",
        '"string"',
        "1e309",
        JSON.stringify({ jsonrpc: "2.0", id: {}, method: "tools/call" }),
        JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: null }),
        JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: 42 } }),
        JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "notes_add", arguments: [] } }),
        JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "tools/call",
          params: { name: "notes_delete", arguments: { id: 1e300 } },
        }),
        JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: 42 } }),
        JSON.stringify({ jsonrpc: "1.0", id: 1, method: "tools/list" }),
        JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
        JSON.stringify({ jsonrpc: "2.0", id: 1, result: {} }),
        JSON.stringify({ ["__proto__"]: { polluted: true }, jsonrpc: "2.0", id: 1, method: "tools/list" }),
        "\u0000\u0001\u0002",
        `{"a":"${"\\u0000".repeat(1000)}"}`,
      ];
      const versions = ["2025-06-18", "2025-03-26", "2025-11-25", "2026-07-28", ""];
      const statuses = await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          const response = await send({
            headers: { "mcp-protocol-version": versions[i % versions.length] ?? "" },
            body: bodies[i % bodies.length] ?? "",
          });
          return response.status;
        }),
      );
      expect(statuses.filter((status) => status >= 500)).toEqual([]);
    });
  });
}

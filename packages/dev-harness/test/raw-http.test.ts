import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonRpcOf, rawRequest } from "../src/raw-http.ts";

let origin = "";
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    res.setHeader("set-cookie", ["a=1", "b=2"]);
    res.end(JSON.stringify({ method: req.method, raw: req.rawHeaders, body: Buffer.concat(chunks).toString("hex") }));
  });
});
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(
  () =>
    new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    ),
);

describe("rawRequest", () => {
  it("sends a foreign Host, repeated headers and bytes that are not UTF-8, as given", async () => {
    const response = await rawRequest(`${origin}/mcp`, {
      headers: { host: "evil.example", "x-twice": ["1", "2"] },
      body: Buffer.from([0xff, 0xfe]),
    });
    expect(response.status).toBe(200);
    expect(response.headers["set-cookie"]).toEqual(["a=1", "b=2"]);
    const seen = JSON.parse(response.body) as { method: string; raw: string[]; body: string };
    expect(seen.method).toBe("POST");
    expect(seen.raw).toEqual(expect.arrayContaining(["host", "evil.example"]));
    expect(seen.raw.filter((value) => value === "x-twice")).toHaveLength(2);
    expect(seen.body).toBe("fffe");
  });
});

describe("jsonRpcOf", () => {
  it("reads a JSON body and an SSE event alike", () => {
    const message = { jsonrpc: "2.0", id: 1, result: { ok: true } };
    expect(jsonRpcOf(JSON.stringify(message))).toEqual(message);
    expect(jsonRpcOf(`event: message\ndata: ${JSON.stringify(message)}\n\n`)).toEqual(message);
  });
});

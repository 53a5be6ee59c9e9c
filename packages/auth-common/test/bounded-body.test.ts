import { describe, expect, it } from "vitest";
import { BodyTooLargeError, readBoundedBytes, readBoundedText } from "../src/bounded-body.ts";
import { rejected } from "./helpers.ts";

const CHUNK = 16 * 1024;

/** A body of `total` bytes produced on demand, counting what the reader pulled and whether it cancelled. */
function meteredBody(total: number, headers: HeadersInit = {}) {
  const meter = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (meter.pulled >= total) {
          controller.close();
          return;
        }
        const size = Math.min(CHUNK, total - meter.pulled);
        meter.pulled += size;
        controller.enqueue(new Uint8Array(size).fill(0x61));
      },
      cancel() {
        meter.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { meter, response: new Response(stream, { headers }) };
}

describe("readBoundedText", () => {
  it("reads a body within the limit, across chunks and split UTF-8 sequences", async () => {
    const bytes = new TextEncoder().encode("é".repeat(CHUNK));
    expect(await readBoundedText(new Response(bytes), bytes.byteLength)).toBe("é".repeat(CHUNK));
    expect(await readBoundedText(new Response(null), 10)).toBe("");
  });

  it("stops reading a 10 MB answer at the limit instead of buffering it", async () => {
    const { meter, response } = meteredBody(10 * 1024 * 1024);
    expect(await rejected(readBoundedText(response, 64 * 1024))).toBeInstanceOf(BodyTooLargeError);
    expect(meter.pulled).toBeLessThanOrEqual(64 * 1024 + CHUNK);
    expect(meter.cancelled).toBe(true);
  });

  it("refuses a declared Content-Length over the limit before reading anything", async () => {
    const { meter, response } = meteredBody(1024 * 1024, { "content-length": String(1024 * 1024) });
    expect(await rejected(readBoundedText(response, 1024))).toBeInstanceOf(BodyTooLargeError);
    expect(meter.pulled).toBe(0);
  });

  it("accepts exactly the limit and refuses one byte more", async () => {
    expect(await readBoundedText(new Response("a".repeat(100)), 100)).toHaveLength(100);
    expect(await rejected(readBoundedText(new Response("a".repeat(101)), 100))).toBeInstanceOf(BodyTooLargeError);
  });

  it("throws on malformed UTF-8", async () => {
    expect(await rejected(readBoundedText(new Response(new Uint8Array([0xff, 0xfe])), 10))).toBeInstanceOf(TypeError);
  });
});

describe("readBoundedBytes on a request", () => {
  it("counts the bytes of a body whose Content-Length understates it", async () => {
    const { meter, response } = meteredBody(1024 * 1024, { "content-length": "10" });
    const request = new Request("https://mcp.example.com/login", {
      method: "POST",
      headers: { "content-length": "10" },
      body: response.body,
      duplex: "half",
    } as RequestInit);
    expect(await rejected(readBoundedBytes(request, 4096))).toBeInstanceOf(BodyTooLargeError);
    expect(meter.pulled).toBeLessThanOrEqual(4096 + CHUNK);
  });

  it("reads a chunked body within the limit whole", async () => {
    const request = new Request("https://mcp.example.com/login", { method: "POST", body: "a=1&b=2" });
    expect(new TextDecoder().decode(await readBoundedBytes(request, 4096))).toBe("a=1&b=2");
  });
});

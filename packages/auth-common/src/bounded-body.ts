/** A body was longer than the caller allows; reading stopped at the limit. */
export class BodyTooLargeError extends Error {
  override readonly name = "BodyTooLargeError";
}

/** What a bounded read needs of a `Request` or a `Response`. */
export interface BodySource {
  readonly headers: Headers;
  readonly body: ReadableStream<Uint8Array> | null;
}

/**
 * Reads a request's or response's body as bytes, at most `maxBytes`. The body is read as a
 * stream and reading stops (the stream is cancelled) as soon as the limit is passed, so a huge
 * or endless body is never buffered whole, whether or not it declared a length: a
 * `Content-Length` over the limit is refused before the first read, and one that understates
 * the body does not matter (the bytes are counted).
 *
 * Validates: the size.
 * Does not validate: the content type or what the bytes say (callers parse them).
 * Throws {@link BodyTooLargeError} over the limit.
 */
export async function readBoundedBytes(source: BodySource, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(source.headers.get("content-length") ?? "0");
  if (declared > maxBytes) {
    await source.body?.cancel().catch(() => undefined);
    throw new BodyTooLargeError(`body over ${maxBytes} bytes`);
  }
  if (source.body === null) return new Uint8Array(0);
  const reader = source.body.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  for (;;) {
    const chunk: { done: boolean; value?: unknown } = await reader.read();
    if (chunk.done) break;
    const value = chunk.value;
    if (!(value instanceof Uint8Array)) throw new TypeError("body chunk is not bytes");
    received += value.byteLength;
    if (received > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new BodyTooLargeError(`body over ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(received);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/**
 * Reads a request's or response's body as UTF-8 text, at most `maxBytes` bytes
 * ({@link readBoundedBytes}).
 *
 * Validates: the size; UTF-8 (a malformed sequence throws a `TypeError`).
 * Does not validate: the content type or what the text says (callers parse it).
 * Throws {@link BodyTooLargeError} over the limit.
 */
export async function readBoundedText(source: BodySource, maxBytes: number): Promise<string> {
  const bytes = await readBoundedBytes(source, maxBytes);
  return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
}

/**
 * `request` with its body read ({@link readBoundedBytes}, at most `maxBytes`) and attached as
 * bytes, its `Content-Length` now true, so that whatever reads it next cannot read more. A GET,
 * a HEAD or a request without a body is returned as is.
 * Throws {@link BodyTooLargeError} over the limit.
 */
export async function withBoundedBody(request: Request, maxBytes: number): Promise<Request> {
  if (request.body === null || request.method === "GET" || request.method === "HEAD") return request;
  const bytes = await readBoundedBytes(request, maxBytes);
  const headers = new Headers(request.headers);
  headers.set("content-length", String(bytes.byteLength));
  headers.delete("transfer-encoding");
  return new Request(request, { headers, body: bytes });
}

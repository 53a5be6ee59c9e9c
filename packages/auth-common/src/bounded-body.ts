/** An upstream answer was longer than the caller allows; reading stopped at the limit. */
export class BodyTooLargeError extends Error {
  override readonly name = "BodyTooLargeError";
}

/**
 * Reads a response body as UTF-8 text, at most `maxBytes` bytes. The body is read as a stream and
 * reading stops (the stream is cancelled) as soon as the limit is passed, so a huge or endless
 * answer from a peer is never buffered whole; a `Content-Length` over the limit is refused before
 * the first read.
 *
 * Validates: the size; UTF-8 (a malformed sequence throws a `TypeError`).
 * Does not validate: the content type or what the text says (callers parse it).
 * Throws {@link BodyTooLargeError} over the limit.
 */
export async function readBoundedText(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new BodyTooLargeError(`body over ${maxBytes} bytes`);
  }
  if (response.body === null) return "";
  const reader = response.body.getReader();
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
  let received = 0;
  let text = "";
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
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}

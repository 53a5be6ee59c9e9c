/** Limits on a POSTed JSON-RPC body. */
export interface BodyLimits {
  /** Largest body in bytes (413 above it). */
  maxBytes: number;
  /** Deepest nesting of arrays/objects (400 above it). */
  maxDepth: number;
}

export const DEFAULT_BODY_LIMITS: BodyLimits = { maxBytes: 64 * 1024, maxDepth: 32 };

/** Why a body was refused, with the HTTP status and JSON-RPC code to answer. */
export interface BodyRejection {
  status: 400 | 413 | 415;
  code: number;
  message: string;
}

/**
 * Deepest nesting of `[`/`{` in JSON text, ignoring brackets inside strings. Linear, no
 * recursion: it runs before `JSON.parse` so hostile nesting never reaches a recursive walker.
 */
export function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

function isJsonMediaType(contentType: string | null): boolean {
  return contentType?.split(";")[0]?.trim().toLowerCase() === "application/json";
}

/**
 * Reads and parses a JSON-RPC POST body with hard limits, before any JSON parsing or auth work.
 *
 * Validates: `Content-Type: application/json` (415); size by `Content-Length` and by the bytes
 * actually streamed (413, the stream is cancelled at the limit); UTF-8; nesting depth (400);
 * JSON syntax (400, JSON-RPC -32700).
 * Does not validate: JSON-RPC shape (the SDK does, with its own error codes).
 */
export async function readJsonBody(
  request: Request,
  limits: BodyLimits = DEFAULT_BODY_LIMITS,
): Promise<{ ok: true; body: unknown } | { ok: false; rejection: BodyRejection }> {
  const reject = (status: BodyRejection["status"], code: number, message: string) =>
    ({ ok: false, rejection: { status, code, message } }) as const;
  if (!isJsonMediaType(request.headers.get("content-type"))) {
    return reject(415, -32000, "Unsupported Media Type: Content-Type must be application/json");
  }
  const tooLarge = () => reject(413, -32000, `Request body is larger than ${limits.maxBytes} bytes`);
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limits.maxBytes) return tooLarge();
  if (request.body === null) return reject(400, -32700, "Parse error: the request body is empty");

  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limits.maxBytes) {
      await reader.cancel();
      return tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return reject(400, -32700, "Parse error: the request body is not valid UTF-8");
  }
  if (jsonDepth(text) > limits.maxDepth) {
    return reject(400, -32700, `Parse error: JSON nested deeper than ${limits.maxDepth} levels`);
  }
  try {
    return { ok: true, body: JSON.parse(text) as unknown };
  } catch {
    return reject(400, -32700, "Parse error: the request body is not valid JSON");
  }
}

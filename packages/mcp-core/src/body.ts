import { jsonRpcErrorResponse } from "./json-rpc-error.ts";

/** Limits on a POSTed JSON-RPC body. */
export interface BodyLimits {
  /** Largest body in bytes (413 above it). */
  maxBytes: number;
  /** Deepest nesting of arrays/objects (400 above it). */
  maxDepth: number;
  /**
   * Most messages in one batch (2025-03-26 and earlier). Rate limits count HTTP requests, so a
   * batch must not multiply what one request may do.
   */
  maxBatch: number;
}

export const DEFAULT_BODY_LIMITS: BodyLimits = { maxBytes: 64 * 1024, maxDepth: 32, maxBatch: 4 };

/** Protocol revisions whose POST body may be a JSON-RPC batch (2025-06-18 removed batching). */
const BATCH_REVISIONS = new Set(["2024-11-05", "2025-03-26"]);

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

  // workers-types declare a request body as ReadableStream<any>; it is always bytes.
  const reader = (request.body as ReadableStream<Uint8Array>).getReader();
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

/**
 * MCP 2025-06-18 transports §2.1: the POST body is one JSON-RPC message. Batches stay allowed
 * for clients that declare (or, by omitting the header, imply) 2025-03-26 or earlier (T5), up
 * to `maxBatch` messages; an empty batch is invalid (JSON-RPC 2.0 §6).
 */
export function checkBatch(
  request: Request,
  parsedBody: unknown,
  maxBatch = DEFAULT_BODY_LIMITS.maxBatch,
): Response | undefined {
  if (!Array.isArray(parsedBody)) return undefined;
  const revision = request.headers.get("mcp-protocol-version") ?? "2025-03-26";
  const invalid = (message: string) => jsonRpcErrorResponse(400, `Invalid Request: ${message}`, { code: -32600 });
  if (!BATCH_REVISIONS.has(revision)) {
    return invalid(`JSON-RPC batches are not allowed in protocol revision ${revision}`);
  }
  if (parsedBody.length === 0) return invalid("an empty JSON-RPC batch");
  if (parsedBody.length > maxBatch) return invalid(`a JSON-RPC batch holds at most ${maxBatch} messages`);
  return undefined;
}

/**
 * The MCP endpoint's body rules in one call, for POST: limits (415/413/400), JSON syntax
 * (400 -32700) and the batch rule (400 -32600). Returns the parsed body or a ready JSON-RPC
 * error `Response` without an id (MCP 2025-11-25 transports §2.0.1).
 */
export async function readMcpBody(
  request: Request,
  limits: BodyLimits = DEFAULT_BODY_LIMITS,
): Promise<{ body: unknown } | Response> {
  const read = await readJsonBody(request, limits);
  if (!read.ok) {
    return jsonRpcErrorResponse(read.rejection.status, read.rejection.message, { code: read.rejection.code });
  }
  return checkBatch(request, read.body, limits.maxBatch) ?? { body: read.body };
}

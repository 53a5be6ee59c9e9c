// Raw HTTP for tests that need requests `fetch` would normalize or refuse.
import { request as httpRequest } from "node:http";

/** An HTTP answer as the wire carried it. */
export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One HTTP/1.1 request with full control over headers (Host, duplicates, huge values) that
 * `fetch` would normalize or refuse. Only for loopback test servers.
 */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string | string[]>; body?: string | Buffer } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? "POST", headers: options.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`timeout: ${url}`)));
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** The JSON-RPC message of a response body, whether sent as JSON or as one SSE event. */
export function jsonRpcOf(body: string): { error?: { code: number; message: string }; result?: unknown; id?: unknown } {
  const trimmed = body.trim();
  const data = trimmed.startsWith("{")
    ? trimmed
    : trimmed
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).trim())
        .join("");
  return JSON.parse(data) as { error?: { code: number; message: string }; result?: unknown; id?: unknown };
}

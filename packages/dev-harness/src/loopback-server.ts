// A throwaway HTTP server on loopback: the local peers tests stand up (a key server, an Access
// certs endpoint, a page on another origin, a client's redirect catcher).
import { createServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";

/** A running loopback server. */
export interface LoopbackServer {
  /** e.g. `http://127.0.0.1:40123` */
  origin: string;
  port: number;
  /** Closes open connections too, so a test never waits on a keep-alive socket. */
  readonly stop: () => Promise<void>;
}

/**
 * Serves `handler` on `127.0.0.1` at a port the OS picks; resolves once it listens. Answers
 * `GET /favicon.ico` itself, with 204 and no body.
 */
export async function serveOnLoopback(handler: RequestListener): Promise<LoopbackServer> {
  const server = createServer((request, response) => {
    // Chromium asks every page's origin for /favicon.ico once the page has loaded. A handler's 404
    // for it is a console error on that page ("Failed to load resource … 404"), which a test
    // asserting a clean console sees only when the answer beats its assertion: on a busy machine.
    if (request.method === "GET" && request.url?.split("?")[0] === "/favicon.ico") {
      response.writeHead(204).end();
      return;
    }
    handler(request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

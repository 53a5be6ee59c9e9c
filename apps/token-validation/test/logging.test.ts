import { afterEach, describe, expect, it, vi } from "vitest";
import { createKey, rpc, viaWorker } from "./helpers.ts";

// The Worker's own log lines, as an operator would filter them in Workers Logs.
function captured(spy: { mock: { calls: unknown[][] } }): Record<string, unknown>[] {
  return spy.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
}

describe("operator logs", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("a bad API key is one request_refused line with the reason and address, and no credential", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const forged = `mcpk_${"F".repeat(43)}`;
    const response = await rpc(viaWorker, { authorization: `Bearer ${forged}`, "cf-connecting-ip": "198.51.100.4" });
    expect(response.status).toBe(401);
    expect(captured(warn)).toEqual([
      {
        level: "warn",
        event: "request_refused",
        reason: "invalid_token",
        status: 401,
        method: "POST",
        path: "/mcp",
        address: "198.51.100.4",
      },
    ]);
    expect(JSON.stringify(warn.mock.calls)).not.toContain(forged);
  });

  it("a refusal after authentication names the key and the owner, never the key itself", async () => {
    const { key, id } = await createKey(["notes:read"], { owner: "ops-check" });
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const response = await viaWorker("http://localhost/mcp", {
      method: "POST",
      headers: {
        authorization: `Bearer ${key}`,
        "content-type": "text/plain",
        accept: "application/json, text/event-stream",
        "cf-connecting-ip": "198.51.100.5",
      },
      body: "{}",
    });
    expect(response.status).toBe(415);
    expect(captured(warn)).toEqual([
      expect.objectContaining({ reason: "unsupported_media_type", status: 415, clientId: id, subject: "ops-check" }),
    ]);
    expect(JSON.stringify(warn.mock.calls)).not.toContain(key);
  });

  it("a request that succeeds logs nothing", async () => {
    const { key } = await createKey(["notes:read"]);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
    expect((await rpc(viaWorker, { authorization: `Bearer ${key}` })).status).toBe(200);
    expect(warn).not.toHaveBeenCalled();
    expect(error).not.toHaveBeenCalled();
  });
});

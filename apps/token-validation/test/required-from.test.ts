import { CLIENT_KINDS, connectClient, resultText } from "@mcp-auth/mcp-core/testing";
import { describe, expect, it } from "vitest";
import { MCP_URL, createKey, mintJwt, readRpc, rpc, withVars } from "./helpers.ts";

// AUTH_REQUIRED_FROM (migration mode): anonymous callers are told the day credentials become
// required, over HTTP (RFC 9745 / RFC 8594), in tool results, and on the page.
const DAY = "2027-01-15";
const NOTICE =
  "This server requires a credential from 2027-01-15 (API key or token). Ask its operator for an API key; " +
  "until then you are served as an anonymous caller.";
const announcing = withVars({ AUTH_MODE: "optional", AUTH_REQUIRED_FROM: DAY });
const WHOAMI = { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "whoami", arguments: {} } };

function expectSunsetHeaders(response: Response) {
  expect(response.headers.get("deprecation")).toBe("@1799971200");
  expect(response.headers.get("sunset")).toBe("Fri, 15 Jan 2027 00:00:00 GMT");
  expect(response.headers.get("link")).toBe('<http://localhost/>; rel="sunset"');
}

function expectNoSunsetHeaders(response: Response) {
  for (const name of ["deprecation", "sunset", "link"]) expect(response.headers.get(name)).toBeNull();
}

describe("AUTH_REQUIRED_FROM: anonymous callers are told when credentials become required", () => {
  it("an anonymous /mcp answer carries Deprecation, Sunset and the sunset link to the page", async () => {
    for (const body of [{ jsonrpc: "2.0", id: 1, method: "tools/list" }, WHOAMI]) {
      const response = await rpc(announcing, {}, body);
      expect(response.status).toBe(200);
      expectSunsetHeaders(response);
    }
  });

  it("an anonymous caller's refused call carries them too (a missing scope is a tool error here)", async () => {
    const add = {
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "notes_add", arguments: { text: "x" } },
    };
    const response = await rpc(announcing, {}, add);
    expect(response.status).toBe(200);
    expectSunsetHeaders(response);
    const message = (await readRpc(response)) as { result: { isError: boolean; content: unknown[] } };
    expect(message.result.isError).toBe(true);
    // An error keeps its own single block: the notice goes with results only.
    expect(message.result.content).toHaveLength(1);
  });

  it("a caller with an API key or a JWT gets none of them, and no notice in its tool results", async () => {
    const { key } = await createKey(["notes:read"]);
    for (const authorization of [`Bearer ${key}`, `Bearer ${await mintJwt()}`]) {
      const response = await rpc(announcing, { authorization }, WHOAMI);
      expect(response.status).toBe(200);
      expectNoSunsetHeaders(response);
      const message = (await readRpc(response)) as { result: { content: unknown[] } };
      expect(message.result.content).toHaveLength(1);
    }
  });

  it("a bad credential is still 401, without the headers", async () => {
    const response = await rpc(announcing, { authorization: `Bearer mcpk_${"B".repeat(43)}` });
    expect(response.status).toBe(401);
    expectNoSunsetHeaders(response);
  });

  it("without AUTH_REQUIRED_FROM an anonymous caller gets no headers and no notice", async () => {
    const response = await rpc(withVars({ AUTH_MODE: "optional" }), {}, WHOAMI);
    expect(response.status).toBe(200);
    expectNoSunsetHeaders(response);
    const message = (await readRpc(response)) as { result: { content: unknown[] } };
    expect(message.result.content).toHaveLength(1);
  });

  it.each(CLIENT_KINDS)(
    "%s: an anonymous tool result ends with the notice; content[0] and structuredContent are the tool's",
    async (kind) => {
      const client = await connectClient(kind, { url: MCP_URL, fetch: announcing });
      try {
        const result = await client.callTool("echo", { text: "ping" });
        expect(result.isError).toBeFalsy();
        expect(resultText(result)).toBe("ping");
        expect(result.structuredContent).toStrictEqual({ text: "ping" });
        expect(result.content).toStrictEqual([
          { type: "text", text: "ping" },
          { type: "text", text: NOTICE },
        ]);
      } finally {
        await client.close();
      }
    },
  );

  it("names only the credentials this server accepts", async () => {
    const jwtOnly = withVars({ AUTH_MODE: "optional", AUTH_REQUIRED_FROM: DAY, AUTH_METHODS: "jwt" });
    const message = (await readRpc(await rpc(jwtOnly, {}, WHOAMI))) as { result: { content: { text: string }[] } };
    expect(message.result.content[1]?.text).toBe(
      "This server requires a credential from 2027-01-15 (token). Ask its operator for one; " +
        "until then you are served as an anonymous caller.",
    );
  });

  it("the page's migration-mode line names the day", async () => {
    const page = await (await announcing("http://localhost/")).text();
    expect(page).toContain(
      "served as anonymous with notes:read until 2027-01-15: from that day this server requires a credential",
    );
  });

  it.each([
    [
      { AUTH_MODE: "optional", AUTH_REQUIRED_FROM: "15/01/2027" },
      "AUTH_REQUIRED_FROM: a date YYYY-MM-DD (UTC), e.g. 2027-01-15",
    ],
    [
      { AUTH_MODE: "optional", AUTH_REQUIRED_FROM: "2027-02-30" },
      "AUTH_REQUIRED_FROM: a date YYYY-MM-DD (UTC), e.g. 2027-01-15",
    ],
    [
      { AUTH_MODE: "required", AUTH_REQUIRED_FROM: DAY },
      "AUTH_REQUIRED_FROM: applies to AUTH_MODE=optional only: unset it once credentials are required",
    ],
  ])("%j → 500 server_misconfigured naming the variable", async (vars, message) => {
    const response = await rpc(withVars(vars), {});
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({
      error: "server_misconfigured",
      error_description: `Invalid configuration — ${message}`,
    });
  });
});

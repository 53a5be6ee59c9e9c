import { describe, expect, inject, it } from "vitest";
import { WHOAMI, bearer, createKey, expectRejected, expectScopeToolError, mcpPost, structured } from "./helpers.ts";

// The "optional" instance: AUTH_MODE=optional (migration mode) with api_key,introspection, and
// an introspection endpoint that is down (nothing listens on its port).

const origin = () => inject("optional").origin;
const ADD = { jsonrpc: "2.0", id: 5, method: "tools/call", params: { name: "notes_add", arguments: { text: "hi" } } };

describe("AUTH_MODE=optional", () => {
  it("no credential → served as anonymous with ANONYMOUS_SCOPES", async () => {
    const answer = await mcpPost(origin(), {}, WHOAMI);
    expect(answer.status).toBe(200);
    expect(structured(answer)).toEqual({
      pattern: "token-validation",
      method: "anonymous",
      subject: "anonymous",
      displayName: "Anonymous",
      clientId: "anonymous",
      issuer: "self",
      scopes: ["notes:read"],
    });
  });

  it("anonymous callers cannot write → a tool error naming the scope (no authorization server to step up at)", async () => {
    expectScopeToolError(await mcpPost(origin(), {}, ADD), "notes:write");
  });

  it("a bad key is still rejected → 401", async () => {
    expectRejected(
      await mcpPost(origin(), bearer(`mcpk_${"B".repeat(43)}`), WHOAMI),
      401,
      "invalid_token",
      "Unknown API key.",
    );
  });

  it("a good key still identifies its owner, with its scopes", async () => {
    const key = await createKey(inject("optional").stateDir, "migrating-user");
    const answer = await mcpPost(origin(), bearer(key.key), ADD);
    expect(answer.status).toBe(200);
    expect(structured(answer)).toMatchObject({ note: { text: "hi" } });
    const who = await mcpPost(origin(), bearer(key.key), WHOAMI);
    expect(structured(who)).toMatchObject({ method: "api_key", subject: "migrating-user", clientId: key.id });
  });
});

describe("introspection endpoint down", () => {
  it("an opaque token → 503 with Retry-After, every time, never served", async () => {
    const token = "b3BhcXVlLXRva2VuLWR1cmluZy1hbi1vdXRhZ2UtMDEyMzQ1Njc4OQ";
    for (let attempt = 0; attempt < 3; attempt++) {
      const answer = await mcpPost(origin(), bearer(token), WHOAMI);
      expectRejected(
        answer,
        503,
        "temporarily_unavailable",
        "The token introspection service is unavailable right now.",
      );
      expect(answer.headers.get("retry-after")).toBe("30");
    }
  });
});

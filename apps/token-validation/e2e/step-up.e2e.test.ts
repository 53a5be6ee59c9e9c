import { describe, expect, inject, it } from "vitest";
import { AUDIENCE } from "./constants.ts";
import { bearer, expectRejected, expectScopeToolError, hs256Token, idpToken, mcpPost, structured } from "./helpers.ts";

const ADD = {
  jsonrpc: "2.0",
  id: 7,
  method: "tools/call",
  params: { name: "notes_add", arguments: { text: "needs notes:write" } },
};
const LIST = { jsonrpc: "2.0", id: 8, method: "tools/call", params: { name: "notes_list", arguments: {} } };

// What a client sees for a call its scopes do not allow depends on whether the server names an
// authorization server the client could step up at.
describe("a missing scope", () => {
  it("with no authorization server configured → a tool error naming the scope, and nothing stored", async () => {
    const token = await hs256Token({ scope: "notes:read", sub: "step-up-no-as" });
    expectScopeToolError(await mcpPost(inject("keys").origin, bearer(token), ADD), "notes:write");
    expect(structured(await mcpPost(inject("keys").origin, bearer(token), LIST))).toEqual({ notes: [] });
  });

  it("with an authorization server configured → 403 insufficient_scope naming held ∪ missing, and nothing stored", async () => {
    const origin = inject("idp").origin;
    const token = await idpToken(AUDIENCE, "notes:read");
    const answer = await mcpPost(origin, bearer(token), ADD);
    expectRejected(answer, 403, "insufficient_scope", "This operation needs the scope notes:write.");
    const header = answer.headers.get("www-authenticate") ?? "";
    expect(header).toContain('scope="notes:read notes:write"');
    expect(header).toContain(`resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp"`);
    expect(header).not.toContain("offline_access");
    expect(structured(await mcpPost(origin, bearer(token), LIST))).toEqual({ notes: [] });
  });
});

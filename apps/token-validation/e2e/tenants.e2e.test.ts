import { describe, expect, inject, it } from "vitest";
import { WHOAMI, bearer, createKey, hs256Token, mcpPost, structured } from "./helpers.ts";

// One caller, one tenant: notes are keyed by method + issuer + subject, so two callers whose
// subjects happen to be equal never share a notebook, whichever methods proved them.
const origin = () => inject("keys").origin;
const call = (name: string, args: Record<string, unknown>, id = 1) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name, arguments: args },
});

async function notesOf(credential: string): Promise<unknown> {
  return structured(await mcpPost(origin(), bearer(credential), call("notes_list", {})));
}

describe("tenants", { timeout: 180_000 }, () => {
  it("an API key owned by alice and a JWT with sub=alice are two callers with two notebooks", async () => {
    const { key } = await createKey(inject("keys").stateDir, "alice");
    const jwt = await hs256Token({ sub: "alice", scope: "notes:read notes:write" });

    const viaKey = structured(await mcpPost(origin(), bearer(key), WHOAMI));
    const viaJwt = structured(await mcpPost(origin(), bearer(jwt), WHOAMI));
    expect(viaKey).toMatchObject({ subject: "alice", method: "api_key", issuer: "self" });
    expect(viaJwt).toMatchObject({ subject: "alice", method: "jwt" });
    expect(viaJwt?.["issuer"]).not.toBe("self");

    const added = await mcpPost(origin(), bearer(key), call("notes_add", { text: "alice's key note" }));
    expect(added.status).toBe(200);
    expect(await notesOf(key)).toMatchObject({ notes: [{ text: "alice's key note" }] });
    // The JWT caller sees none of it, and cannot delete it.
    expect(await notesOf(jwt)).toEqual({ notes: [] });
    const deleted = await mcpPost(origin(), bearer(jwt), call("notes_delete", { id: 1 }));
    expect(deleted.status).toBe(200);
    expect(await notesOf(key)).toMatchObject({ notes: [{ text: "alice's key note" }] });
  });

  it("a credential cannot assert the anonymous subject", async () => {
    const jwt = await hs256Token({ sub: "anonymous" });
    const answer = await mcpPost(origin(), bearer(jwt), WHOAMI);
    expect(answer.status).toBe(401);
    expect(answer.oauth).toEqual({
      error: "invalid_token",
      error_description: "The token's claims do not describe a caller (subject).",
    });
  });

  it.each(["alice\nadmin", "bob\u0000", "eve\u001b[31m"])(
    "a subject with control characters (%j) is refused",
    async (sub) => {
      const answer = await mcpPost(origin(), bearer(await hs256Token({ sub })), WHOAMI);
      expect(answer.status).toBe(401);
      expect(answer.oauth.error).toBe("invalid_token");
      expect(answer.oauth.error_description).toBe("The token's claims do not describe a caller (subject).");
    },
  );
});

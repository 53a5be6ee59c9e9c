// The JWT `typ` header (RFC 9068 §4): `at+jwt` is required by default; JWT_TYP="*" is the
// operator's opt-out for an IdP that types access tokens `JWT` or not at all.
import { describe, expect, it } from "vitest";
import { mintJwt, rpc, viaWorker, withVars } from "./helpers.ts";

async function answer(fetchLike: typeof viaWorker, header: Record<string, unknown>) {
  const response = await rpc(fetchLike, { authorization: `Bearer ${await mintJwt({}, { header })}` });
  // A served request answers an SSE event; only a refusal's OAuth error body is read.
  const body = response.status === 200 ? {} : await response.json<{ error?: string; error_description?: string }>();
  return { status: response.status, challenge: response.headers.get("www-authenticate") ?? "", body };
}

describe("JWT typ", () => {
  it.each([
    ["typ JWT", { typ: "JWT" }],
    ["no typ", { typ: undefined }],
    ["typ jwt", { typ: "jwt" }],
    ["an ID-token-like typ", { typ: "id_token+jwt" }],
  ])("default deployment (JWT_TYP at+jwt): %s → 401 invalid_token naming typ", async (_label, header) => {
    const refused = await answer(viaWorker, header);
    expect(refused.status).toBe(401);
    expect(refused.challenge).toContain('error="invalid_token"');
    expect(refused.body).toEqual({
      error: "invalid_token",
      error_description: `The token's "typ" claim is not valid here (check_failed).`,
    });
  });

  it('JWT_TYP="" (blanked) is the same default: typ JWT → 401', async () => {
    expect((await answer(withVars({ JWT_TYP: "" }), { typ: "JWT" })).body).toEqual({
      error: "invalid_token",
      error_description: `The token's "typ" claim is not valid here (check_failed).`,
    });
  });

  it.each(["at+jwt", "AT+JWT", "application/at+jwt"])("default deployment: typ %s is accepted", async (typ) => {
    expect((await answer(viaWorker, { typ })).status).toBe(200);
  });

  it.each([
    ["typ JWT", { typ: "JWT" }],
    ["no typ", { typ: undefined }],
    ["typ at+jwt", { typ: "at+jwt" }],
  ])('JWT_TYP="*" (opted out): %s is accepted', async (_label, header) => {
    expect((await answer(withVars({ JWT_TYP: "*" }), header)).status).toBe(200);
  });

  it('JWT_TYP="JWT": only that type', async () => {
    const jwtTyped = withVars({ JWT_TYP: "JWT" });
    expect((await answer(jwtTyped, { typ: "JWT" })).status).toBe(200);
    expect((await answer(jwtTyped, { typ: "at+jwt" })).status).toBe(401);
  });
});

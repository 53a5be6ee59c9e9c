import { describe, expect, it, vi } from "vitest";
import { MAX_FORM_BYTES, ownPageForm, readForm } from "../src/accounts.ts";

const ORIGIN = "https://mcp.example.com";

function post(body: string, headers: Record<string, string> = {}): Request {
  return new Request(`${ORIGIN}/login`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body,
  });
}

describe("readForm", () => {
  it("reads a small urlencoded form, whatever the charset parameter", async () => {
    const form = await readForm(
      post("a=1&b=two", { "content-type": "Application/X-WWW-Form-Urlencoded; charset=UTF-8" }),
    );
    expect(form).toBeInstanceOf(URLSearchParams);
    expect((form as URLSearchParams).get("a")).toBe("1");
    expect((form as URLSearchParams).get("b")).toBe("two");
  });

  it.each([
    ["JSON", post('{"a":1}', { "content-type": "application/json" })],
    ["multipart", post("a=1", { "content-type": "multipart/form-data; boundary=x" })],
  ])("%s → undefined", async (_name, request) => {
    expect(await readForm(request)).toBeUndefined();
  });

  it.each([
    ["a declared length over the limit", () => post("a=1", { "content-length": String(MAX_FORM_BYTES + 1) })],
    ["a body over the limit", () => post(`a=${"x".repeat(MAX_FORM_BYTES)}`)],
    [
      "a body over the limit behind a Content-Length that understates it",
      () => post(`a=${"x".repeat(MAX_FORM_BYTES)}`, { "content-length": "10" }),
    ],
  ])("%s → the 413 page", async (_name, request) => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const answer = await readForm(request());
    expect(answer).toBeInstanceOf(Response);
    const response = answer as Response;
    expect(response.status).toBe(413);
    expect(await response.text()).toContain(`A form here is limited to ${MAX_FORM_BYTES} bytes.`);
    warn.mockRestore();
  });
});

describe("ownPageForm", () => {
  it("another site's POST → 403 page, logged with its purpose, the body never read", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const request = post("csrf=x", { "sec-fetch-site": "cross-site", origin: "https://evil.example" });
    const answer = await ownPageForm(request, ORIGIN, "login");
    expect(answer).toBeInstanceOf(Response);
    const response = answer as Response;
    expect(response.status).toBe(403);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await response.text()).toContain("This form can only be sent from this server&#39;s own page.");
    expect(request.bodyUsed).toBe(false);
    expect(JSON.stringify(warn.mock.calls)).toContain("login_cross_origin");
    warn.mockRestore();
  });

  it("our own page's POST (Origin: null under no-referrer) → the form", async () => {
    const form = await ownPageForm(
      post("csrf=x", { "sec-fetch-site": "same-origin", origin: "null" }),
      ORIGIN,
      "login",
    );
    expect(form).toBeInstanceOf(URLSearchParams);
    expect((form as URLSearchParams).get("csrf")).toBe("x");
  });

  it("our own origin with a body that is not a form → undefined (the page says what is missing)", async () => {
    const request = post("{}", { origin: ORIGIN, "content-type": "application/json" });
    expect(await ownPageForm(request, ORIGIN, "login")).toBeUndefined();
  });
});

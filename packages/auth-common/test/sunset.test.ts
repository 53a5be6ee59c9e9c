import { describe, expect, it } from "vitest";
import { withSunset } from "../src/sunset.ts";

const SUNSET = { date: new Date("2027-01-15T00:00:00Z"), policy: new URL("https://mcp.example.com/") };

describe("withSunset", () => {
  it("adds Deprecation (RFC 9745), Sunset (RFC 8594) and the sunset link, keeping status and body", async () => {
    const response = withSunset(
      new Response('{"ok":true}', { status: 202, headers: { "content-type": "application/json" } }),
      SUNSET,
    );
    expect(response.status).toBe(202);
    expect(response.headers.get("deprecation")).toBe("@1799971200");
    expect(response.headers.get("sunset")).toBe("Fri, 15 Jan 2027 00:00:00 GMT");
    expect(response.headers.get("link")).toBe('<https://mcp.example.com/>; rel="sunset"');
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.text()).toBe('{"ok":true}');
  });

  it("keeps a Link the answer already had", () => {
    const response = withSunset(new Response(null, { headers: { link: '<https://a.example/>; rel="help"' } }), SUNSET);
    expect(response.headers.get("link")).toBe(
      '<https://a.example/>; rel="help", <https://mcp.example.com/>; rel="sunset"',
    );
  });

  it("works on an answer whose headers are immutable (as fetch() returns)", () => {
    const immutable = Response.redirect("https://mcp.example.com/elsewhere", 302);
    expect(() => {
      immutable.headers.set("x", "y");
    }).toThrow();
    expect(withSunset(immutable, SUNSET).headers.get("sunset")).toBe("Fri, 15 Jan 2027 00:00:00 GMT");
  });
});

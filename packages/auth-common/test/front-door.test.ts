import { describe, expect, it, vi } from "vitest";
import {
  MAX_CLIENT_ID_LENGTH,
  clientMetadataRefusal,
  fitsClientId,
  fitsTokenKey,
} from "../src/authorization-server/front-door.ts";

// The authorization server's front door, unit by unit (the workerd suite in
// src/testing/index.ts drives it through both apps).

// What the check reads of a document: its redirect URIs and displayed fields (the library checks
// the rest, `client_id` matching the URL included).
const document = (extra: Record<string, unknown> = {}) => ({
  client_name: "App",
  redirect_uris: ["http://127.0.0.1:3000/callback"],
  ...extra,
});

/** A fetch that answers from `answer`, recording each request's URL and `redirect` mode. */
function fakeFetch(answer: () => Response | Promise<Response>) {
  const calls: { url: string; redirect: RequestRedirect | undefined }[] = [];
  const fetcher: typeof fetch = async (input, init) => {
    calls.push({ url: input instanceof Request ? input.url : input.toString(), redirect: init?.redirect });
    return answer();
  };
  return { fetcher, calls };
}

/** A client id not seen before by the module's 60 s memory of clean documents. */
let serial = 0;
const freshUrl = () => `https://client.example/app-${++serial}.json`;

describe("fitsTokenKey", () => {
  it("accepts a token whose key token:<user>:<grant>:<64 hex> is 512 bytes, refuses one more", () => {
    const room = 512 - "token:".length - 2 - 64;
    const grant = "g".repeat(16);
    expect(fitsTokenKey(`${"u".repeat(room - 16)}:${grant}:secret`)).toBe(true);
    expect(fitsTokenKey(`${"u".repeat(room - 15)}:${grant}:secret`)).toBe(false);
  });

  it("counts UTF-8 bytes, not characters", () => {
    expect(fitsTokenKey(`${"é".repeat(250)}:g:s`)).toBe(false);
    expect(fitsTokenKey(`${"e".repeat(250)}:g:s`)).toBe(true);
  });

  it("leaves a value of another shape to the library (it refuses those without storage)", () => {
    expect(fitsTokenKey("x".repeat(5000))).toBe(true);
    expect(fitsTokenKey(`${"x".repeat(600)}:a:b:c`)).toBe(true);
  });
});

describe("fitsClientId", () => {
  it(`accepts ${MAX_CLIENT_ID_LENGTH} characters, refuses one more`, () => {
    expect(fitsClientId("c".repeat(MAX_CLIENT_ID_LENGTH))).toBe(true);
    expect(fitsClientId("c".repeat(MAX_CLIENT_ID_LENGTH + 1))).toBe(false);
  });

  it("refuses a shorter id whose UTF-8 key would pass 512 bytes", () => {
    expect(fitsClientId("😀".repeat(200))).toBe(false);
  });
});

describe("clientMetadataRefusal", () => {
  it("fetches the document without following redirects", async () => {
    const { fetcher, calls } = fakeFetch(() => Response.json(document()));
    const url = freshUrl();
    expect(await clientMetadataRefusal(url, fetcher)).toBeUndefined();
    expect(calls).toEqual([{ url, redirect: "manual" }]);
  });

  it.each([301, 302, 303, 307, 308])("a %i → refused, naming the redirect", async (status) => {
    const { fetcher } = fakeFetch(
      () => new Response(null, { status, headers: { location: "https://elsewhere.example/app.json" } }),
    );
    expect(await clientMetadataRefusal(freshUrl(), fetcher)).toBe(
      "Its client metadata document is served through a redirect; it must be served at its client_id URL itself.",
    );
  });

  it("a fetch that fails → refused (fail closed: the library's own fetch would follow redirects)", async () => {
    const { fetcher } = fakeFetch(() => Promise.reject(new TypeError("network down")));
    expect(await clientMetadataRefusal(freshUrl(), fetcher)).toBe("Its client metadata document could not be fetched.");
  });

  it.each([
    ["a redirect URI that is not a URI", { redirect_uris: ["https://client.example/c b"] }, /RFC 3986 URI/],
    ["a bidi override in the name", { client_name: "App\u202Etxt.exe" }, /client_name must be plain text/],
  ])("a document with %s → refused with the policy's words", async (_name, extra, message) => {
    const { fetcher } = fakeFetch(() => Response.json(document(extra)));
    expect(await clientMetadataRefusal(freshUrl(), fetcher)).toMatch(message);
  });

  it("a document that is not JSON, or a 404, is left to the library (it refuses it itself)", async () => {
    expect(await clientMetadataRefusal(freshUrl(), fakeFetch(() => new Response("<html>")).fetcher)).toBeUndefined();
    const missing = fakeFetch(() => new Response("no", { status: 404 }));
    expect(await clientMetadataRefusal(freshUrl(), missing.fetcher)).toBeUndefined();
  });

  it("a client id that is not an https URL with a path is never fetched", async () => {
    const { fetcher, calls } = fakeFetch(() => Response.json(document()));
    for (const id of ["abc123", "http://client.example/app.json", "https://client.example"]) {
      expect(await clientMetadataRefusal(id, fetcher)).toBeUndefined();
    }
    expect(calls).toEqual([]);
  });

  it("a document seen clean is not fetched again within 60 s; after that it is", async () => {
    vi.useFakeTimers();
    try {
      const { fetcher, calls } = fakeFetch(() => Response.json(document()));
      const url = freshUrl();
      await clientMetadataRefusal(url, fetcher);
      await clientMetadataRefusal(url, fetcher);
      expect(calls).toHaveLength(1);
      vi.advanceTimersByTime(60_001);
      await clientMetadataRefusal(url, fetcher);
      expect(calls).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it("a refused document is fetched again next time (nothing is remembered of it)", async () => {
    const { fetcher, calls } = fakeFetch(() => new Response(null, { status: 302, headers: { location: "/x" } }));
    const url = freshUrl();
    await clientMetadataRefusal(url, fetcher);
    await clientMetadataRefusal(url, fetcher);
    expect(calls).toHaveLength(2);
  });
});

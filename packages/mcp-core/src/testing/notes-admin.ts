// The notes admin route (GET|POST|DELETE /admin/notes) as every app must serve it: absent without
// NOTES_ADMIN_SECRET, only the secret opens it (no MCP credential does, and the secret opens
// nothing at /mcp), failures spend the address's budget, and export/import/clear keep their
// promises on the real Durable Object. Run inside workerd by each app's tests.
import { tenantKey, type Method } from "@mcp-auth/identity";
import { freshAddress } from "@mcp-auth/dev-harness/limits";
import { describe, expect, it } from "vitest";
import { NOTES_ADMIN_PATH } from "../notes/notes-admin.ts";
import { MAX_NOTES, notesDigest, notesNdjson, type ExportedNote } from "../notes/notes-store.ts";

/** A request into the Worker: `path` on the app's origin, `init` as given (a test sets the address). */
export type AdminCall = (path: string, init?: RequestInit) => Promise<Response>;

/** What an app tells the notes admin suite about itself. */
export interface NotesAdminTarget {
  /** Calls the Worker as configured for the tests, NOTES_ADMIN_SECRET set to {@link secret}. */
  call: AdminCall;
  /** Calls the same Worker with NOTES_ADMIN_SECRET set to `secret` (`""`: unset). */
  callWithSecret: (secret: string) => AdminCall;
  /** The NOTES_ADMIN_SECRET the tests configure. */
  secret: string;
  /** Bearer credentials the app accepts at /mcp (API key, JWT, OAuth access token), by name; none in no-auth. */
  mcpCredentials: () => Promise<Record<string, string>>;
  /**
   * What /mcp does with the admin secret as a bearer token: `refused` (401, like any unknown
   * token), or `ignored` where /mcp authenticates nobody (no-auth: the caller stays anonymous).
   */
  adminSecretAtMcp: "refused" | "ignored";
}

const UNAUTHENTICATED = {
  error: "unauthorized",
  error_description: "This route is for operators: send Authorization: Bearer <the app's admin secret>.",
};
const WRONG_SECRET = { error: "unauthorized", error_description: "The admin secret is wrong." };

let tenants = 0;
/** A tenant no other test (or run, the state is per test file) writes to. */
function freshTenant(): string {
  return tenantKey({ method: "api_key", issuer: "self", subject: `admin-suite-${Date.now()}-${++tenants}` });
}

const note = (text: string, day: number): ExportedNote => ({
  text,
  createdAt: new Date(Date.UTC(2024, 0, day, 12, 30, 15, 250)).toISOString(),
});

export function describeNotesAdmin(target: NotesAdminTarget): void {
  const address = () => ({ "cf-connecting-ip": freshAddress() });
  const admin = (method: string, query: string, init: RequestInit = {}, secret = target.secret) =>
    target.call(`${NOTES_ADMIN_PATH}?${query}`, {
      ...init,
      method,
      headers: { ...address(), authorization: `Bearer ${secret}`, ...Object.fromEntries(new Headers(init.headers)) },
    });
  const exportOf = (tenant: string) => admin("GET", new URLSearchParams({ tenant }).toString());
  const importInto = (tenant: string, body: string, dryRun?: boolean) =>
    admin(
      "POST",
      new URLSearchParams({ tenant, ...(dryRun === undefined ? {} : { dry_run: String(dryRun) }) }).toString(),
      { body, headers: { "content-type": "application/x-ndjson" } },
    );
  const clear = (tenant: string, digest: string) => admin("DELETE", new URLSearchParams({ tenant, digest }).toString());
  const notesOf = async (tenant: string) => {
    const response = await exportOf(tenant);
    expect(response.status).toBe(200);
    return response.text();
  };

  describe("notes admin route: off without NOTES_ADMIN_SECRET", () => {
    it("answers exactly what an unknown path answers, for every method, with or without a bearer", async () => {
      const unknown = await target.callWithSecret("")("/admin/no-such-route", { headers: address() });
      const expected = { status: unknown.status, body: await unknown.text() };
      expect(expected.status).toBe(404);
      for (const method of ["GET", "POST", "DELETE"]) {
        for (const authorization of [undefined, `Bearer ${target.secret}`]) {
          const answer = await target.callWithSecret("")(
            `${NOTES_ADMIN_PATH}?tenant=${encodeURIComponent(freshTenant())}`,
            {
              method,
              headers: { ...address(), ...(authorization === undefined ? {} : { authorization }) },
              ...(method === "POST" ? { body: notesNdjson([note("x", 1)]) } : {}),
            },
          );
          expect({ status: answer.status, body: await answer.text() }).toEqual(expected);
        }
      }
    });
  });

  describe("notes admin route: configuration", () => {
    it("a NOTES_ADMIN_SECRET under 32 characters → the app refuses to serve and names it (never the value)", async () => {
      const short = "too-short-admin-secret";
      const answer = await target.callWithSecret(short)("/", { headers: address() });
      expect(answer.status).toBe(500);
      const body = await answer.text();
      expect(JSON.parse(body)).toMatchObject({ error: "server_misconfigured" });
      expect(body).toContain(
        "NOTES_ADMIN_SECRET: at least 32 characters (a random value from a password manager), or unset to turn the admin route off",
      );
      expect(body).not.toContain(short);
    });
  });

  describe("notes admin route: who may call it", () => {
    it("no Authorization → 401 unauthorized, nothing read", async () => {
      const answer = await target.call(`${NOTES_ADMIN_PATH}?tenant=${encodeURIComponent(freshTenant())}`, {
        headers: address(),
      });
      expect(answer.status).toBe(401);
      expect(answer.headers.get("cache-control")).toBe("no-store");
      expect(answer.headers.get("www-authenticate")).toBe('Bearer realm="admin"');
      expect(await answer.json()).toEqual(UNAUTHENTICATED);
    });

    it.each([
      ["a wrong secret", (secret: string) => `Bearer ${"x".repeat(secret.length)}`, WRONG_SECRET],
      ["the secret with a character more", (secret: string) => `Bearer ${secret}x`, WRONG_SECRET],
      ["the secret less its last character", (secret: string) => `Bearer ${secret.slice(0, -1)}`, WRONG_SECRET],
      ["the secret in upper case", (secret: string) => `Bearer ${secret.toUpperCase()}`, WRONG_SECRET],
      ["the secret as Basic credentials", (secret: string) => `Basic ${btoa(`admin:${secret}`)}`, UNAUTHENTICATED],
      ["the secret twice", (secret: string) => `Bearer ${secret} ${secret}`, UNAUTHENTICATED],
    ])("%s → 401, never the secret in the answer", async (_label, authorization, expected) => {
      const answer = await target.call(`${NOTES_ADMIN_PATH}?tenant=${encodeURIComponent(freshTenant())}`, {
        headers: { ...address(), authorization: authorization(target.secret) },
      });
      expect(answer.status).toBe(401);
      const body = await answer.text();
      expect(body).not.toContain(target.secret);
      expect(JSON.parse(body)).toEqual(expected);
    });

    it("no MCP credential of the app opens it: each → 401", async () => {
      for (const [name, credential] of Object.entries(await target.mcpCredentials())) {
        const answer = await target.call(`${NOTES_ADMIN_PATH}?tenant=${encodeURIComponent(freshTenant())}`, {
          headers: { ...address(), authorization: `Bearer ${credential}` },
        });
        expect({ name, status: answer.status, body: await answer.json() }).toEqual({
          name,
          status: 401,
          body: WRONG_SECRET,
        });
      }
    });

    it("the admin secret opens nothing at /mcp", async () => {
      const answer = await target.call("/mcp", {
        method: "POST",
        headers: {
          ...address(),
          authorization: `Bearer ${target.secret}`,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "mcp-protocol-version": "2025-06-18",
        },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "tools/call",
          params: { name: "whoami", arguments: {} },
        }),
      });
      const body = await answer.text();
      expect(body).not.toContain(target.secret);
      if (target.adminSecretAtMcp === "refused") {
        expect(answer.status).toBe(401);
        expect(answer.headers.get("www-authenticate")).toMatch(/^Bearer /);
      } else {
        // Nobody is authenticated here: the bearer is not even read, the caller is anonymous.
        expect(answer.status).toBe(200);
        expect(body).toContain('\\"subject\\":\\"anonymous\\"');
      }
    });

    it("failed attempts spend the address's budget: 429 with Retry-After; the right secret from there still works", async () => {
      const from = freshAddress();
      let limited: Response | undefined;
      for (let i = 0; i < 1300 && limited === undefined; i++) {
        const answer = await target.call(`${NOTES_ADMIN_PATH}?tenant=${encodeURIComponent(freshTenant())}`, {
          headers: { "cf-connecting-ip": from, authorization: "Bearer wrong" },
        });
        if (answer.status === 429) limited = answer;
        else expect(answer.status).toBe(401);
      }
      expect(limited?.status).toBe(429);
      expect(Number(limited?.headers.get("retry-after"))).toBeGreaterThan(0);
      // The right secret is never limited by address: an operator's move is many calls from one.
      const answer = await target.call(`${NOTES_ADMIN_PATH}?tenant=${encodeURIComponent(freshTenant())}`, {
        headers: { "cf-connecting-ip": from, authorization: `Bearer ${target.secret}` },
      });
      expect(answer.status).toBe(200);
    });

    it("a browser Origin outside the app's policy → 403, as at /mcp", async () => {
      const answer = await target.call(`${NOTES_ADMIN_PATH}?tenant=${encodeURIComponent(freshTenant())}`, {
        headers: { ...address(), authorization: `Bearer ${target.secret}`, origin: "https://evil.example" },
      });
      expect(answer.status).toBe(403);
    });
  });

  describe("notes admin route: requests it refuses", () => {
    it.each([
      ["", "tenant is required: ?tenant=<tenant key> (npm run notes -- tenant)."],
      ["tenant=a&tenant=b", "tenant: give tenant once."],
      ["tenant=api_key%7Cself", "tenant: a tenant key is method|issuer|subject (3 parts), this one has 2."],
      [
        "tenant=root%7Cself%7Calice",
        "tenant: the method: must be one of anonymous, api_key, jwt, access, introspection, mtls, oauth.",
      ],
      [
        "tenant=api_key%7Cself%7Canonymous",
        'tenant: the subject: "anonymous" is reserved for callers who prove nothing.',
      ],
    ])("GET ?%s → 400 invalid_request naming the problem", async (query, description) => {
      const answer = await admin("GET", query);
      expect(answer.status).toBe(400);
      expect(await answer.json()).toEqual({ error: "invalid_request", error_description: description });
    });

    it("PUT → 405 naming the methods", async () => {
      const answer = await admin("PUT", new URLSearchParams({ tenant: freshTenant() }).toString());
      expect(answer.status).toBe(405);
      expect(answer.headers.get("allow")).toBe("GET, POST, DELETE");
    });

    it("an import with a bad line → 400 naming the line; nothing written, the valid lines before it included", async () => {
      const tenant = freshTenant();
      expect((await importInto(tenant, notesNdjson([note("kept", 1)]))).status).toBe(200);
      const before = await notesOf(tenant);
      const bodies: [string, string][] = [
        [`${notesNdjson([note("a", 2)])}not json\n`, "line 2: not JSON"],
        [
          `${notesNdjson([note("a", 2), note("b", 3)])}{"text":"c"}\n`,
          'line 3: a note is exactly {"text", "createdAt"}',
        ],
        [
          `{"text":"","createdAt":"${note("a", 2).createdAt}"}\n`,
          "line 1: text must be a string of 1 to 2000 characters",
        ],
        [
          `${notesNdjson([note("a", 2)])}\n{"text":"b","createdAt":"2024-01-02"}\n`,
          "line 3: createdAt must be an ISO 8601 UTC time such as 2025-01-02T03:04:05.678Z",
        ],
        [`[1]\n`, "line 1: not a JSON object"],
      ];
      for (const [body, problem] of bodies) {
        const answer = await importInto(tenant, body);
        expect(answer.status).toBe(400);
        expect(await answer.json()).toEqual({
          error: "invalid_request",
          error_description: `${problem}. Nothing was imported.`,
        });
      }
      const wrongType = await admin("POST", new URLSearchParams({ tenant }).toString(), {
        body: notesNdjson([note("a", 2)]),
        headers: { "content-type": "application/json" },
      });
      expect(wrongType.status).toBe(415);
      const badDryRun = await admin("POST", new URLSearchParams({ tenant, dry_run: "yes" }).toString(), {
        body: notesNdjson([note("b", 2)]),
        headers: { "content-type": "application/x-ndjson" },
      });
      expect(badDryRun.status).toBe(400);
      expect(await badDryRun.json()).toEqual({
        error: "invalid_request",
        error_description: "dry_run is true or false, given at most once.",
      });
      expect(await notesOf(tenant)).toBe(before);
    });

    it(`an import that would pass ${MAX_NOTES} notes is refused whole: 409 notebook_full, nothing written`, async () => {
      const tenant = freshTenant();
      expect((await importInto(tenant, notesNdjson([note("first", 1)]))).status).toBe(200);
      const many = Array.from({ length: MAX_NOTES }, (_, i) => note(`n${i}`, 2));
      const answer = await importInto(tenant, notesNdjson(many));
      expect(answer.status).toBe(409);
      expect(await answer.json()).toEqual({
        error: "notebook_full",
        error_description: `The import would leave ${MAX_NOTES + 1} notes; a notebook holds at most ${MAX_NOTES}. Nothing was imported.`,
      });
      expect(await notesOf(tenant)).toBe(notesNdjson([note("first", 1)]));
    });

    it("DELETE without a digest, or with one that is not SHA-256 hex → 400, nothing removed", async () => {
      const tenant = freshTenant();
      expect((await importInto(tenant, notesNdjson([note("stays", 1)]))).status).toBe(200);
      const missing = await admin("DELETE", new URLSearchParams({ tenant }).toString());
      expect(missing.status).toBe(400);
      expect(await missing.json()).toEqual({
        error: "invalid_request",
        error_description: "digest is required once: the notes-digest header of the export being removed.",
      });
      const malformed = await clear(tenant, "ABC");
      expect(malformed.status).toBe(400);
      expect(await malformed.json()).toEqual({
        error: "invalid_request",
        error_description: "digest is 64 lower-case hex digits (SHA-256).",
      });
      expect(await notesOf(tenant)).toBe(notesNdjson([note("stays", 1)]));
    });
  });

  describe("notes admin route: export, import, clear", () => {
    it("round trip: import keeps createdAt and skips what is there, a dry run writes nothing, export carries the digest, clear needs it", async () => {
      const tenant = freshTenant();
      const batch = [note("one", 1), note('two ✓ "quoted"\nsecond line', 2), note("one", 1)];
      const planned = await importInto(tenant, notesNdjson(batch), true);
      expect(await planned.json()).toEqual({ tenant, received: 3, added: 2, alreadyPresent: 1, dryRun: true });
      expect(await notesOf(tenant)).toBe("");

      const imported = await importInto(tenant, notesNdjson(batch));
      expect(imported.status).toBe(200);
      expect(await imported.json()).toEqual({ tenant, received: 3, added: 2, alreadyPresent: 1, dryRun: false });
      const again = await importInto(tenant, notesNdjson([...batch, note("three", 3)]), false);
      expect(await again.json()).toEqual({ tenant, received: 4, added: 1, alreadyPresent: 3, dryRun: false });

      const expected = [note("one", 1), note('two ✓ "quoted"\nsecond line', 2), note("three", 3)];
      const exported = await exportOf(tenant);
      expect(exported.status).toBe(200);
      expect(exported.headers.get("content-type")).toBe("application/x-ndjson; charset=utf-8");
      expect(exported.headers.get("cache-control")).toBe("no-store");
      const digest = await notesDigest(expected);
      expect(exported.headers.get("notes-digest")).toBe(digest);
      expect(await exported.text()).toBe(notesNdjson(expected));

      // The notebook changes after the export: the export's digest no longer clears it.
      expect((await importInto(tenant, notesNdjson([note("late", 4)]))).status).toBe(200);
      const conflict = await clear(tenant, digest);
      expect(conflict.status).toBe(409);
      expect(await conflict.json()).toEqual({
        error: "conflict",
        error_description:
          "The notebook changed since it was exported (its digest differs); export it again. Nothing was removed.",
      });
      const now = [...expected, note("late", 4)];
      expect(await notesOf(tenant)).toBe(notesNdjson(now));

      const cleared = await clear(tenant, await notesDigest(now));
      expect(cleared.status).toBe(200);
      expect(await cleared.json()).toEqual({ tenant, removed: 4 });
      expect(await notesOf(tenant)).toBe("");
      // Empty, its digest is the empty export's: clearing it again removes nothing.
      expect(await (await clear(tenant, await notesDigest([]))).json()).toEqual({ tenant, removed: 0 });
    });

    it("the tenant whoami names is the caller's notebook: what an import puts there, the caller lists over MCP, and back", async () => {
      const callers: Record<string, Record<string, string>> = Object.fromEntries(
        Object.entries(await target.mcpCredentials()).map(([name, credential]) => [
          name,
          { authorization: `Bearer ${credential}` },
        ]),
      );
      if (target.adminSecretAtMcp === "ignored") callers["anonymous caller"] = {};
      expect(Object.keys(callers).length).toBeGreaterThan(0);
      for (const [name, headers] of Object.entries(callers)) {
        const tool = async (tool: string, args: Record<string, string> = {}) => {
          const answer = await target.call("/mcp", {
            method: "POST",
            headers: {
              ...address(),
              ...headers,
              "content-type": "application/json",
              accept: "application/json, text/event-stream",
              "mcp-protocol-version": "2025-06-18",
            },
            body: JSON.stringify({
              jsonrpc: "2.0",
              id: 1,
              method: "tools/call",
              params: { name: tool, arguments: args },
            }),
          });
          expect({ name, tool, status: answer.status }).toEqual({ name, tool, status: 200 });
          const text = await answer.text();
          const data = text.split("\n").find((line) => line.startsWith("data: "));
          const message = JSON.parse(data === undefined ? text : data.slice("data: ".length)) as {
            result: { structuredContent: Record<string, unknown> };
          };
          return message.result.structuredContent;
        };
        const who = (await tool("whoami")) as { method: Method; issuer: string; subject: string };
        const tenant = tenantKey(who);
        const imported = note(`imported for ${name} ${Date.now()}`, 5);
        expect((await importInto(tenant, notesNdjson([imported]))).status).toBe(200);
        const listed = (await tool("notes_list")) as { notes: { text: string; createdAt: string }[] };
        expect(listed.notes).toContainEqual(expect.objectContaining(imported));
        expect(await notesOf(tenant)).toContain(notesNdjson([imported]));
      }
    });

    it("tenants are separate: an import into one is not in another", async () => {
      const [a, b] = [freshTenant(), freshTenant()];
      expect((await importInto(a, notesNdjson([note("only a", 1)]))).status).toBe(200);
      expect(await notesOf(b)).toBe("");
    });
  });
}

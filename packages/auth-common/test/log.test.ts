import { describe, expect, it } from "vitest";
import { createAuthenticator } from "../src/authenticate.ts";
import { AuthError } from "../src/errors.ts";
import { guardTransport } from "../src/guard.ts";
import { logEndpointAnswer, type Log, type LogEntry } from "../src/log.ts";
import { originPolicy } from "../src/origin.ts";
import type { CredentialVerifier } from "../src/verifier.ts";
import { FakeLimiter } from "./helpers.ts";

const SECRET_TOKEN = "mcpk_ThisIsTheCredentialAndMustNeverBeLogged0123456";

function recorder(): { log: Log; lines: { level: string; entry: LogEntry }[] } {
  const lines: { level: string; entry: LogEntry }[] = [];
  return { lines, log: (level, entry) => lines.push({ level, entry }) };
}

function request(headers: Record<string, string> = {}): Request {
  return new Request("https://mcp.example.com/mcp?access_token=leaked-query-token", {
    method: "POST",
    headers: { host: "mcp.example.com", "cf-connecting-ip": "203.0.113.7", ...headers },
  });
}

function expectNoCredential(lines: unknown) {
  const text = JSON.stringify(lines);
  expect(text).not.toContain(SECRET_TOKEN);
  expect(text).not.toContain("leaked-query-token");
}

describe("refusals are logged, one structured line each, never a credential", () => {
  it.each<[string, Record<string, string>, boolean, number, string]>([
    ["a foreign Host", { host: "evil.example" }, true, 403, "host_not_allowed"],
    ["a foreign Origin", { origin: "https://evil.example" }, true, 403, "origin_not_allowed"],
    ["an oversized header", { "x-big": "v".repeat(9000) }, true, 431, "header_too_large"],
    ["a flood", {}, false, 429, "rate_limited"],
  ])("the transport guard: %s", async (_label, headers, allow, status, reason) => {
    const { log, lines } = recorder();
    const answer = await guardTransport(request({ authorization: `Bearer ${SECRET_TOKEN}`, ...headers }), {
      origins: originPolicy(["mcp.example.com"]),
      rateLimit: { limiter: new FakeLimiter(allow), periodSeconds: 60 },
      log,
    });
    expect(answer?.status).toBe(status);
    expect(lines).toEqual([
      {
        level: "warn",
        entry: { event: "request_refused", reason, status, method: "POST", path: "/mcp", address: "203.0.113.7" },
      },
    ]);
    expectNoCredential(lines);
  });

  it("the guard logs nothing for a request it lets through", async () => {
    const { log, lines } = recorder();
    const answer = await guardTransport(request(), {
      origins: originPolicy(["mcp.example.com"]),
      rateLimit: { limiter: new FakeLimiter(true), periodSeconds: 60 },
      log,
    });
    expect(answer).toBeUndefined();
    expect(lines).toEqual([]);
  });

  function verifier(outcome: AuthError): CredentialVerifier {
    return {
      method: "introspection",
      reads: "bearer",
      verify: () => Promise.reject(outcome),
    };
  }

  it("the authenticator: a bad token is a warn line with the error code", async () => {
    const { log, lines } = recorder();
    const gate = createAuthenticator({
      pattern: "token-validation",
      verifiers: [verifier(new AuthError("invalid_token", "Unknown API key."))],
      mode: "required",
      log,
    });
    const answer = await gate(request({ authorization: `Bearer ${SECRET_TOKEN}` }));
    expect(answer).toBeInstanceOf(Response);
    expect(lines).toEqual([
      {
        level: "warn",
        entry: {
          event: "request_refused",
          reason: "invalid_token",
          status: 401,
          method: "POST",
          path: "/mcp",
          address: "203.0.113.7",
        },
      },
    ]);
    expectNoCredential(lines);
  });

  it("the authenticator: an outage is also an error line naming the dependency", async () => {
    const { log, lines } = recorder();
    const gate = createAuthenticator({
      pattern: "token-validation",
      verifiers: [
        verifier(
          new AuthError("temporarily_unavailable", "The token introspection service is unavailable right now.", {
            cause: new Error(`upstream said ${SECRET_TOKEN}`),
          }),
        ),
      ],
      mode: "required",
      log,
    });
    await gate(request({ authorization: `Bearer ${SECRET_TOKEN}` }));
    expect(lines.map(({ level, entry }) => [level, entry.event])).toEqual([
      ["warn", "request_refused"],
      ["error", "dependency_failed"],
    ]);
    expect(lines[1]?.entry).toEqual({
      event: "dependency_failed",
      dependency: "introspection",
      reason: "The token introspection service is unavailable right now.",
    });
    expectNoCredential(lines);
  });

  it("the endpoint's refusals name the caller; its successes are not logged", () => {
    const { log, lines } = recorder();
    const who = { clientId: "key_abc123defg", subject: "alice" };
    logEndpointAnswer(request(), new Response(null, { status: 200 }), who, log);
    logEndpointAnswer(request(), new Response(null, { status: 413 }), who, log);
    logEndpointAnswer(request(), new Response(null, { status: 418 }), who, log);
    expect(lines).toEqual([
      {
        level: "warn",
        entry: {
          event: "request_refused",
          reason: "body_too_large",
          status: 413,
          method: "POST",
          path: "/mcp",
          address: "203.0.113.7",
          clientId: "key_abc123defg",
          subject: "alice",
        },
      },
      expect.objectContaining({ entry: expect.objectContaining({ reason: "http_418" }) as unknown }),
    ]);
  });
});

// Grading the conformance CLI's checks: a failure counts unless it is listed as not applicable,
// and a scenario that ran nothing proves nothing.
import { describe, expect, it } from "vitest";
import { APPLICABLE_SCENARIOS, NOT_APPLICABLE_CHECKS, grade } from "../../src/testing/node/conformance.ts";

const stateless = { suite: "2026-07-28", name: "server-stateless" } as const;
const ok = { id: "sep-2575-server-implements-discover", name: "ServerImplementsDiscover", status: "SUCCESS" };

describe("grade", () => {
  it("passes when every check succeeds or only warns", () => {
    const result = grade(stateless, [ok, { id: "x", name: "X", status: "WARNING", errorMessage: "a SHOULD" }]);
    expect(result).toMatchObject({ passed: true, failures: [], excused: [] });
  });

  it("fails on a failed check, naming it and its message", () => {
    const removed = {
      id: "sep-2575-http-server-method-not-found-404-initialize",
      name: "HttpServerMethodNotFound404initialize",
      status: "FAILURE",
      errorMessage: "Expected HTTP 404 and code -32601 for removed methods, got HTTP 400 and code -32602",
    };
    expect(grade(stateless, [ok, removed])).toMatchObject({
      passed: false,
      failures: [
        "sep-2575-http-server-method-not-found-404-initialize: Expected HTTP 404 and code -32601 for removed methods, got HTTP 400 and code -32602",
      ],
    });
  });

  it("excuses a not-applicable check only in its own scenario", () => {
    const notTestable = {
      id: "sep-2575-server-no-log-without-loglevel",
      name: "ServerNoLogWithoutLogLevel",
      status: "FAILURE",
      errorMessage: "Not testable: …",
    };
    const here = grade(stateless, [ok, notTestable]);
    expect(here.passed).toBe(true);
    expect(here.excused).toEqual([
      expect.stringMatching(/^sep-2575-server-no-log-without-loglevel: .*test_logging_tool/),
    ]);
    expect(grade({ suite: "2026-07-28", name: "caching" }, [ok, notTestable]).passed).toBe(false);
  });

  it("a scenario without one successful check does not pass", () => {
    expect(grade(stateless, []).passed).toBe(false);
    expect(grade(stateless, [{ id: "s", name: "S", status: "SKIPPED" }]).passed).toBe(false);
  });

  it("names nine applicable scenarios, and excuses checks only inside them", () => {
    expect(APPLICABLE_SCENARIOS).toHaveLength(9);
    for (const check of NOT_APPLICABLE_CHECKS) {
      expect(APPLICABLE_SCENARIOS).toContainEqual({ suite: check.suite, name: check.name });
    }
  });
});

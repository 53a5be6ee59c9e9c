import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import {
  ConfigError,
  configErrorResponse,
  configLoader,
  envRules,
  flagVar,
  hostnamesVar,
  INVALID,
  intVar,
  listVar,
  optionalVar,
  parseEnv,
  parseEnvRequiring,
  scopesVar,
} from "../src/env.ts";
import { thrown } from "./helpers.ts";

const KNOWN = ["notes:read", "notes:write"] as const;
const SECRET = "sk_live_51HxQ9dEXAMPLEs3cr3tV4lu3";

describe("listVar", () => {
  it.each<[string | undefined, string[]]>([
    [undefined, []],
    ["", []],
    [" , ,", []],
    ["a", ["a"]],
    ["a,b c", ["a", "b", "c"]],
    ["  a ,, b\n\tc  ", ["a", "b", "c"]],
  ])("%j → %j", (value, expected) => {
    expect(listVar().parse(value)).toEqual(expected);
  });

  it("rejects a non-string", () => {
    expect(
      listVar()
        .safeParse(["a"])
        .error?.issues.map((issue) => issue.code),
    ).toEqual(["invalid_type"]);
  });
});

describe("hostnamesVar", () => {
  it.each<[string | undefined, string[]]>([
    [undefined, []],
    ["MCP.Example.COM", ["mcp.example.com"]],
    ["a.example, b.example c-d.example", ["a.example", "b.example", "c-d.example"]],
    ["[::1] 127.0.0.1 localhost", ["[::1]", "127.0.0.1", "localhost"]],
    ["[2001:DB8::1]", ["[2001:db8::1]"]],
  ])("%j → %j", (value, expected) => {
    expect(hostnamesVar().parse(value)).toEqual(expected);
  });

  it.each([
    ["https://x", 0],
    ["ok.example https://x", 1],
    ["x:8080", 0],
    ["x/y", 0],
    ["ok.example x/y", 1],
    ["x?y", 0],
    ["user@x", 0],
    ["*.example.com", 0],
    ["caf\u00e9.example", 0],
    ["[::1]:8787", 0],
  ])("rejects %j", (value, index) => {
    const result = hostnamesVar().safeParse(value);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => [issue.path, issue.message])).toEqual([
      [[index], "hostnames only: no scheme, port or path"],
    ]);
  });
});

describe("scopesVar", () => {
  const scopes = () => scopesVar(KNOWN, "notes:read");

  it.each<[string | undefined, string[]]>([
    [undefined, ["notes:read"]],
    ["notes:write", ["notes:write"]],
    ["notes:write notes:read notes:write", ["notes:write", "notes:read"]],
    ["  notes:read  ", ["notes:read"]],
  ])("%j → %j", (value, expected) => {
    expect(scopes().parse(value)).toEqual(expected);
  });

  it.each([
    ["notes:admin", "1 unknown scope"],
    ["notes:read notes:admin offline_access", "2 unknown scopes"],
    ["NOTES:READ", "1 unknown scope"],
    ["notes:read,notes:write", "1 unknown scope"],
  ])("counts the unknown scopes in %j without echoing them", (value, counted) => {
    const messages = scopes()
      .safeParse(value)
      .error?.issues.map((issue) => issue.message);
    expect(messages).toEqual([`${counted}; allowed: notes:read notes:write`]);
    for (const token of value.split(" ").filter((token) => token.startsWith("NOTES") || token.includes("admin"))) {
      expect(messages?.join()).not.toContain(token);
    }
  });

  it("applies the same check to the fallback", () => {
    expect(
      scopesVar(KNOWN, "admin")
        .safeParse(undefined)
        .error?.issues.map((issue) => issue.message),
    ).toEqual(["1 unknown scope; allowed: notes:read notes:write"]);
  });

  it.each([
    'notes:"read',
    "notes:read\\",
    "notes:read\tnotes:write",
    "caf\u00e9",
    Array.from({ length: 65 }, () => "notes:read").join(" "),
  ])("rejects the malformed %j without echoing it", (value) => {
    expect(
      scopes()
        .safeParse(value)
        .error?.issues.map((issue) => issue.message),
    ).toEqual(["not a space-separated list of scopes"]);
  });
});

describe("intVar", () => {
  it.each<[string | undefined, number]>([
    [undefined, 10],
    ["", 10],
    ["1", 1],
    ["42", 42],
    ["007", 7],
    ["100", 100],
  ])("%j → %i", (value, expected) => {
    expect(intVar(10, 100).parse(value)).toBe(expected);
  });

  it("has no upper bound by default", () => {
    expect(intVar(1).parse(String(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
  });

  it.each([
    ["0", "too_small"],
    ["00", "too_small"],
    ["101", "too_big"],
  ])("rejects %j with %s", (value, code) => {
    const result = intVar(10, 100).safeParse(value);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.code)).toEqual([code]);
  });

  it.each(["-1", " ", " 7 ", "+7", "1.5", "1e2", "0x10", "abc", "10 seconds", "\u0661", SECRET])(
    "rejects %j as not a whole number",
    (value) => {
      const result = intVar(10, 100).safeParse(value);
      expect(result.success).toBe(false);
      expect(result.error?.issues.map((issue) => [issue.code, issue.message])).toEqual([
        ["invalid_format", "a whole number"],
      ]);
    },
  );

  it("rejects a non-string value", () => {
    expect(
      intVar(10, 100)
        .safeParse(42)
        .error?.issues.map((issue) => issue.code),
    ).toEqual(["invalid_type"]);
  });
});

describe("parseEnv", () => {
  const schema = z.object({
    ALLOWED_HOSTNAMES: hostnamesVar(),
    SCOPES: scopesVar(KNOWN, "notes:read"),
    TOKEN_TTL: intVar(3600, 86_400),
    ISSUER: z.url(),
    MODE: z.enum(["dev", "prod"]),
  });
  const good = {
    ALLOWED_HOSTNAMES: "mcp.example.com",
    TOKEN_TTL: "60",
    ISSUER: "https://issuer.example",
    MODE: "prod",
  };

  it("returns the parsed configuration", () => {
    expect(parseEnv(schema, { ...good, UNRELATED_BINDING: {} })).toEqual({
      ALLOWED_HOSTNAMES: ["mcp.example.com"],
      SCOPES: ["notes:read"],
      TOKEN_TTL: 60,
      ISSUER: "https://issuer.example",
      MODE: "prod",
    });
  });

  it("names every bad variable and never echoes a value", () => {
    const env = {
      ALLOWED_HOSTNAMES: `mcp.example.com https://${SECRET}`,
      TOKEN_TTL: SECRET,
      ISSUER: SECRET,
      MODE: SECRET,
      SCOPES: `notes:read ${SECRET}"`,
    };
    const error = thrown(() => parseEnv(schema, env));
    expect(error).toBeInstanceOf(ConfigError);
    if (!(error instanceof ConfigError)) throw new Error("unreachable");
    expect(error.name).toBe("ConfigError");
    expect(error.message.startsWith("Invalid configuration — ")).toBe(true);
    const named = error.message
      .slice("Invalid configuration — ".length)
      .split("; ")
      .map((problem) => problem.slice(0, problem.indexOf(":")));
    expect(named).toEqual(["ALLOWED_HOSTNAMES.1", "SCOPES", "TOKEN_TTL", "ISSUER", "MODE"]);
    expect(error.message).not.toContain(SECRET);
    expect(error.message).not.toContain("sk_live");
    expect(JSON.stringify(configErrorResponse(error).headers)).not.toContain(SECRET);
  });

  it("names a missing variable", () => {
    const env = Object.fromEntries(Object.entries(good).filter(([name]) => name !== "MODE"));
    expect(thrown(() => parseEnv(schema, env))).toMatchObject({
      name: "ConfigError",
      message: 'Invalid configuration — MODE: Invalid option: expected one of "dev"|"prod"',
    });
  });

  it.each([undefined, null, "env", 42])("refuses a non-object env %j as (env)", (env) => {
    const error = thrown(() => parseEnv(schema, env));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toHaveProperty("message", expect.stringMatching(/^Invalid configuration — \(env\): /));
  });
});

describe("envRules", () => {
  // A small app: MODE=remote needs a URL, and http only with the loopback flag.
  const seen: unknown[] = [];
  const schema = envRules(
    z.object({
      MODE: z.enum(["local", "remote"]),
      URL: z
        .string()
        .optional()
        .transform((value) => (value === "" ? undefined : value))
        .pipe(z.url().optional()),
      LOOPBACK: flagVar(),
      TTL: intVar(60, 3600),
    }),
    (env, problem) => {
      seen.push(env);
      if (env.MODE === "remote" && env.URL === undefined) problem("URL", "required when MODE=remote");
      if (typeof env.URL === "string" && env.LOOPBACK !== INVALID && !env.LOOPBACK && env.URL.startsWith("http:")) {
        problem("URL", "must be https");
      }
    },
  );
  const problems = (env: unknown) => {
    const error = thrown(() => parseEnv(schema, env));
    if (!(error instanceof ConfigError)) throw new Error("expected a ConfigError");
    return error.problems;
  };

  it("passes a good env through, and the rules saw every variable parsed", () => {
    seen.length = 0;
    expect(parseEnv(schema, { MODE: "remote", URL: "https://a.example", LOOPBACK: "", TTL: "5" })).toEqual({
      MODE: "remote",
      URL: "https://a.example",
      LOOPBACK: false,
      TTL: 5,
    });
    expect(seen).toEqual([{ MODE: "remote", URL: "https://a.example", LOOPBACK: false, TTL: 5 }]);
  });

  it("names the variables' own problems and a rule's problem in one parse", () => {
    // An enum that fails aborts the object in zod: a plain superRefine would not run at all.
    expect(problems({ MODE: "remote", URL: "", LOOPBACK: "yes", TTL: "abc" })).toEqual([
      'LOOPBACK: Invalid option: expected one of "true"|"false"|""',
      "TTL: a whole number",
      "URL: required when MODE=remote",
    ]);
  });

  it("shows a variable that failed as INVALID, so its rules stay silent instead of guessing", () => {
    seen.length = 0;
    // URL is set but no URL: not "required", and no https rule on a value that did not parse.
    expect(problems({ MODE: "remote", URL: "not a url", TTL: "1" })).toEqual(["URL: Invalid URL"]);
    expect(seen).toEqual([{ MODE: "remote", URL: INVALID, LOOPBACK: false, TTL: 1 }]);
    // A flag that failed: the https rule that depends on it waits for it.
    expect(problems({ MODE: "local", URL: "http://a.example", LOOPBACK: "yes" })).toEqual([
      'LOOPBACK: Invalid option: expected one of "true"|"false"|""',
    ]);
    expect(problems({ MODE: "local", URL: "http://a.example", LOOPBACK: "false", TTL: "0" })).toEqual([
      "TTL: Too small: expected number to be >=1",
      "URL: must be https",
    ]);
  });

  it("runs no rule on an env that is no object", () => {
    seen.length = 0;
    expect(problems(undefined)).toEqual(["(env): Invalid input: expected object, received undefined"]);
    expect(seen).toEqual([]);
  });

  it("never echoes a value, in the message or the problems", () => {
    const error = thrown(() => parseEnv(schema, { MODE: SECRET, URL: SECRET, LOOPBACK: SECRET, TTL: SECRET }));
    if (!(error instanceof ConfigError)) throw new Error("expected a ConfigError");
    expect(error.problems.map((problem) => problem.slice(0, problem.indexOf(":")))).toEqual([
      "MODE",
      "URL",
      "LOOPBACK",
      "TTL",
    ]);
    expect(error.message).toBe(`Invalid configuration — ${error.problems.join("; ")}`);
    expect(JSON.stringify(error.problems)).not.toContain(SECRET);
  });
});

describe("ConfigError", () => {
  it("is its own single problem when built from a message alone", () => {
    expect(new ConfigError("Invalid configuration — access: rejected").problems).toEqual([
      "Invalid configuration — access: rejected",
    ]);
  });
});

describe("configLoader", () => {
  it("parses once per env object and returns the same config instance", () => {
    const parse = vi.fn((env: { N: string }) => ({ n: Number(env.N) }));
    const load = configLoader(parse);
    const env = { N: "1" };
    const first = load(env);
    expect(first).toEqual({ n: 1 });
    expect(load(env)).toBe(first);
    expect(load(env)).toBe(first);
    expect(parse).toHaveBeenCalledTimes(1);
  });

  it("re-parses for a different env object, even with equal contents", () => {
    const parse = vi.fn((env: { N: string }) => ({ n: Number(env.N) }));
    const load = configLoader(parse);
    const a = load({ N: "1" });
    const b = load({ N: "1" });
    const c = load({ N: "2" });
    expect(b).not.toBe(a);
    expect(b).toEqual(a);
    expect(c).toEqual({ n: 2 });
    expect(parse).toHaveBeenCalledTimes(3);
  });

  it("keeps failing closed: an invalid env is re-parsed (and re-thrown) on every call", () => {
    const parse = vi.fn((env: { N: string }) => parseEnv(z.object({ N: intVar(1) }), env));
    const load = configLoader(parse);
    const env = { N: "zero" };
    expect(thrown(() => load(env))).toBeInstanceOf(ConfigError);
    expect(thrown(() => load(env))).toBeInstanceOf(ConfigError);
    expect(parse).toHaveBeenCalledTimes(2);
  });
});

describe("configErrorResponse", () => {
  it("answers 500 naming the problem, not cacheable", async () => {
    const response = configErrorResponse(new ConfigError("Invalid configuration — X: bad"));
    expect(response.status).toBe(500);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.json()).toEqual({
      error: "server_misconfigured",
      error_description: "Invalid configuration — X: bad",
    });
  });
});

describe("optionalVar and parseEnvRequiring", () => {
  const schema = envRules(
    z.object({ PUBLIC_ORIGIN: optionalVar().pipe(z.url().optional()), SECRET: optionalVar() }),
    (env, problem) => {
      if (env.PUBLIC_ORIGIN === undefined) problem("PUBLIC_ORIGIN", "required here");
    },
  );

  it("an empty variable is unset, as wrangler passes an empty var", () => {
    expect(parseEnv(schema, { PUBLIC_ORIGIN: "https://a.example", SECRET: "" }).SECRET).toBeUndefined();
  });

  it("types the required variables as present and keeps PUBLIC_ORIGIN in its canonical spelling", () => {
    const config = parseEnvRequiring(schema, { PUBLIC_ORIGIN: "HTTPS://MCP.Example.com:443", SECRET: "s" }, [
      "PUBLIC_ORIGIN",
      "SECRET",
    ]);
    const origin: string = config.PUBLIC_ORIGIN;
    expect(origin).toBe("https://mcp.example.com");
    expect(config.SECRET).toBe("s");
  });

  it("a rule's problem is reported as parseEnv reports it", () => {
    const error = thrown(() => parseEnvRequiring(schema, {}, ["PUBLIC_ORIGIN"]));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual(["PUBLIC_ORIGIN: required here"]);
  });

  it("a required variable no rule checked still fails closed, named, never valued", () => {
    const error = thrown(() => parseEnvRequiring(schema, { PUBLIC_ORIGIN: "https://a.example" }, ["SECRET"]));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe("Invalid configuration — SECRET: required");
  });
});

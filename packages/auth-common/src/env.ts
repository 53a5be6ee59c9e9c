import { z } from "zod";
import { TRUSTED_URL_RULE, isTrustedServerUrl } from "./loopback.ts";
import { consoleLog } from "./log.ts";
import { parseScopeString } from "./scope-token.ts";

/** A comma- or space-separated list variable; empty or absent is the empty list. */
export function listVar() {
  return z
    .string()
    .optional()
    .transform((value) => (value ?? "").split(/[\s,]+/).filter((item) => item.length > 0));
}

/** A hostname list variable: lower-cased hostnames, no scheme, no port, no path. */
export function hostnamesVar() {
  return listVar().pipe(
    z.array(
      z
        .string()
        .regex(/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)$/i, "hostnames only: no scheme, port or path")
        .transform((name) => name.toLowerCase()),
    ),
  );
}

/** A space-separated scope variable whose scopes must all be in `known`. */
export function scopesVar(known: readonly string[], fallback: string) {
  return z
    .string()
    .optional()
    .transform((value, ctx) => {
      try {
        const scopes = parseScopeString(value ?? fallback);
        const unknown = scopes.filter((scope) => !known.includes(scope));
        if (unknown.length > 0) {
          // Counted, not echoed: a value pasted into the wrong variable may be a secret.
          const noun = unknown.length === 1 ? "scope" : "scopes";
          ctx.addIssue({ code: "custom", message: `${unknown.length} unknown ${noun}; allowed: ${known.join(" ")}` });
          return z.NEVER;
        }
        return scopes;
      } catch {
        ctx.addIssue({ code: "custom", message: "not a space-separated list of scopes" });
        return z.NEVER;
      }
    });
}

/** An optional string variable: empty is the same as unset (`wrangler` passes `""` for an empty var). */
export function optionalVar() {
  return z
    .string()
    .optional()
    .transform((value) => (value === "" ? undefined : value));
}

/** A `true`/`false` variable; empty or absent is `false`, anything else is a configuration error. */
export function flagVar() {
  return z
    .enum(["true", "false", ""])
    .optional()
    .transform((value) => value === "true");
}

/** A whole-number variable with a default, at least `min` (1 unless given) and at most `max`. */
export function intVar(fallback: number, max = Number.MAX_SAFE_INTEGER, min = 1) {
  return z
    .string()
    .optional()
    .transform((value) => (value === undefined || value === "" ? String(fallback) : value))
    .pipe(z.string().regex(/^\d+$/, "a whole number").transform(Number))
    .pipe(z.number().int().min(min).max(max));
}

/** Configuration that cannot be used: the app refuses to serve and names the variables. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  /** Each problem on its own, `NAME: what is wrong` (the message joins them); for terminals. */
  readonly problems: readonly string[];
  constructor(message: string, problems: readonly string[] = [message]) {
    super(message);
    this.problems = problems;
  }
}

/**
 * Stands for a variable that failed its own schema in the view {@link envRules} gives its rules
 * (that problem is already named).
 */
export const INVALID: unique symbol = Symbol("invalid variable");

/** The parsed env as cross-variable rules see it: each variable's value, or {@link INVALID}. */
export type EnvView<T> = { readonly [K in keyof T]: T[K] | typeof INVALID };

type EnvName<T> = Extract<keyof T, string>;

/**
 * Adds rules across variables to an env schema (`z.object`). Unlike a plain `superRefine`, they
 * also run when some variables failed their own schema, so one parse names every problem, each
 * variable's and the cross-variable ones, not the second half after the first is fixed. A variable
 * that failed is {@link INVALID} in the rules' view: a rule that needs its value stays silent
 * (`undefined` still means "not set"). `problem` names a variable (or `NAME.index` of a list),
 * never its value.
 */
export function envRules<S extends z.ZodObject>(
  schema: S,
  rules: (
    env: EnvView<z.output<S>>,
    problem: (name: EnvName<z.output<S>> | `${EnvName<z.output<S>>}.${number}`, message: string) => void,
  ) => void,
): S {
  return schema.superRefine(
    (env, ctx) => {
      const failed = new Set(ctx.issues.map((issue) => issue.path?.[0]));
      const parsed = env as Record<string, unknown>;
      const view = Object.fromEntries(
        Object.keys(schema.shape).map((name) => [name, failed.has(name) ? INVALID : parsed[name]]),
      ) as EnvView<z.output<S>>;
      rules(view, (name, message) => {
        ctx.addIssue({ code: "custom", path: [name], message });
      });
    },
    // Run despite failed variables; not when env is no object at all (nothing to look at).
    { when: (payload) => typeof payload.value === "object" && payload.value !== null },
  );
}

/**
 * The rule for an OAuth app's `PUBLIC_ORIGIN` (issuer, resource and audience): set, an origin
 * only, and https unless `ALLOW_INSECURE_HTTP_LOOPBACK` allows http on loopback. For
 * {@link envRules}; silent about a value or flag that failed its own schema.
 */
export function publicOriginRule(
  env: {
    readonly PUBLIC_ORIGIN?: string | undefined | typeof INVALID;
    readonly ALLOW_INSECURE_HTTP_LOOPBACK: boolean | typeof INVALID;
  },
  problem: (name: "PUBLIC_ORIGIN", message: string) => void,
): void {
  const value = env.PUBLIC_ORIGIN;
  if (value === undefined) {
    problem("PUBLIC_ORIGIN", "required: the origin clients use, e.g. https://mcp.example.com");
    return;
  }
  if (value === INVALID) return;
  const url = new URL(value);
  if (url.href !== `${url.origin}/`) problem("PUBLIC_ORIGIN", "an origin only: no path, query or fragment");
  const insecureLoopback = env.ALLOW_INSECURE_HTTP_LOOPBACK;
  if (insecureLoopback !== INVALID && !isTrustedServerUrl(url, insecureLoopback)) {
    problem("PUBLIC_ORIGIN", TRUSTED_URL_RULE);
  }
}

/**
 * Parses Worker `env` with `schema`, failing closed with one message naming every bad variable
 * (never its value: it may be a secret).
 */
export function parseEnv<S extends z.ZodType>(schema: S, env: unknown): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join(".") || "(env)"}: ${issue.message}`);
  throw new ConfigError(`Invalid configuration — ${problems.join("; ")}`, problems);
}

/** `T` with the variables `K` present. */
export type WithRequired<T, K extends keyof T> = T & { [P in K]-?: NonNullable<T[P]> };

/**
 * {@link parseEnv} for an app whose rules ({@link envRules}) require variables the schema leaves
 * optional (a `PUBLIC_ORIGIN`, secrets): the result types `required` as present, checked here
 * rather than cast, and `PUBLIC_ORIGIN`, when there is one, in its canonical spelling
 * (`https://mcp.example.com`, the form the issuer and audience compare).
 */
export function parseEnvRequiring<S extends z.ZodType, K extends keyof z.output<S> & string>(
  schema: S,
  env: unknown,
  required: readonly K[],
): WithRequired<z.output<S>, K> {
  const config = parseEnv(schema, env) as Record<string, unknown>;
  const missing = required.filter((name) => config[name] === undefined);
  // The rules name these first; this only keeps a rule that forgot one from passing silently.
  if (missing.length > 0)
    throw new ConfigError(`Invalid configuration — ${missing.map((name) => `${name}: required`).join("; ")}`);
  const origin = config["PUBLIC_ORIGIN"];
  return {
    ...config,
    ...(typeof origin === "string" ? { PUBLIC_ORIGIN: new URL(origin).origin } : {}),
  } as WithRequired<z.output<S>, K>;
}

/** Memoizes a config parser per `env` object (one parse per isolate, not per request). */
export function configLoader<E extends object, C>(parse: (env: E) => C): (env: E) => C {
  const cache = new WeakMap<E, C>();
  return (env) => {
    let config = cache.get(env);
    if (config === undefined) {
      config = parse(env);
      cache.set(env, config);
    }
    return config;
  };
}

/** The answer while configuration is invalid: 500 naming the problem, so operators see it at once. */
export function configErrorResponse(error: ConfigError): Response {
  return Response.json(
    { error: "server_misconfigured", error_description: error.message },
    { status: 500, headers: { "Cache-Control": "no-store" } },
  );
}

/**
 * Runs `serve` with the parsed configuration, or answers {@link configErrorResponse} while the
 * configuration is invalid. Every app's `fetch` starts here.
 */
export async function withConfig<E extends object, C>(
  env: E,
  load: (env: E) => C,
  serve: (config: C) => Promise<Response> | Response,
): Promise<Response> {
  let config: C;
  try {
    config = load(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      // Names the variables, never their values (ConfigError messages are built that way).
      consoleLog("error", { event: "misconfigured", reason: error.message });
      return configErrorResponse(error);
    }
    throw error;
  }
  return serve(config);
}

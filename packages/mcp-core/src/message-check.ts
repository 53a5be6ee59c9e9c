import {
  PROTOCOL_VERSION_META_KEY,
  classifyInboundRequest,
  isJSONRPCNotification,
  isJSONRPCRequest,
  specTypeSchemas,
  type StandardSchemaV1,
} from "@modelcontextprotocol/server";
import { jsonRpcErrorResponse } from "./json-rpc-error.ts";
import { TOOLS } from "./tools/index.ts";

/**
 * Longest method name, tool or prompt name, task id, protocol version, `Mcp-Method` header or
 * JSON-RPC string id accepted: SEP-986's bound on tool names (MCP 2025-11-25 server/tools),
 * far above any name this server answers to.
 */
export const MAX_NAME_LENGTH = 128;

/** Longest resource URI (`params.uri`, or the `Mcp-Name` header that mirrors it) accepted. */
export const MAX_URI_LENGTH = 2048;

/** Longest error message this check writes, whatever the schema's issue says. */
const MAX_MESSAGE_LENGTH = 240;

/** The two wire eras: 2025-era (`initialize` handshake) and 2026-07-28 (per-request `_meta` envelope). */
type Era = "legacy" | "modern";

interface ServedRequest {
  schema: StandardSchemaV1;
  /** The eras whose method set has this method; in any other era the SDK answers `-32601`. */
  eras: ReadonlySet<Era>;
}

const BOTH_ERAS: ReadonlySet<Era> = new Set(["legacy", "modern"]);

/**
 * The requests this server serves (`buildServer`: tools only) with the SDK's own schema for
 * each and the eras that have it. The SDK validates them too, but a failure there is answered
 * `-32603` with the whole `ZodError` as the message (`setRequestHandler`'s spec-method path
 * throws a plain `Error`, and no option changes that), so they are checked here first.
 * Notifications are not: the SDK drops a bad one without an answer. A `Map`, never a plain
 * object: the key is the client's method name (`constructor` must not find `Object`).
 */
const SERVED_REQUESTS: ReadonlyMap<string, ServedRequest> = new Map([
  // MCP 2026-07-28 removed `initialize` and `ping` (SEP-2575): 404 + -32601 in that era.
  ["initialize", { schema: specTypeSchemas.InitializeRequest, eras: new Set<Era>(["legacy"]) }],
  ["ping", { schema: specTypeSchemas.PingRequest, eras: new Set<Era>(["legacy"]) }],
  ["tools/list", { schema: specTypeSchemas.ListToolsRequest, eras: BOTH_ERAS }],
  ["tools/call", { schema: specTypeSchemas.CallToolRequest, eras: BOTH_ERAS }],
  ["server/discover", { schema: specTypeSchemas.DiscoverRequest, eras: new Set<Era>(["modern"]) }],
]);

/** What each method's `params.name` names, for the message that refuses a long one. */
const NAME_LABEL: ReadonlyMap<string, string> = new Map([
  ["tools/call", "tool name"],
  ["prompts/get", "prompt name"],
]);

/** Methods whose `Mcp-Name` header mirrors `params.uri` rather than a name (SEP-2243). */
const URI_METHODS = new Set(["resources/read", "resources/subscribe", "resources/unsubscribe"]);

interface Refusal {
  code: number;
  message: string;
  /** The HTTP status (default 400); 200 for an answer the SDK would give in-band. */
  status?: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function longerThan(value: unknown, max: number): boolean {
  return typeof value === "string" && value.length > max;
}

/** At most `max` characters of `text`, marked when cut. */
function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function invalidParams(message: string): Refusal {
  return { code: -32602, message: truncate(`Invalid params: ${message}`, MAX_MESSAGE_LENGTH) };
}

/** `params.protocolVersion`-style dotted path of a schema issue, each segment cut short. */
function issuePath(issue: StandardSchemaV1.Issue): string {
  const segments = (issue.path ?? []).map((segment) =>
    truncate(String(typeof segment === "object" ? segment.key : segment), 32),
  );
  return segments.length === 0 ? "params" : segments.join(".");
}

/**
 * The client-supplied strings the SDK copies into its error messages (an unknown tool's
 * name, the cross-checked method, name, URI, task id and protocol-version claim): each must
 * be no longer than a real one could be.
 */
function checkEchoedStrings(method: string, params: unknown): Refusal | undefined {
  if (!isRecord(params)) return undefined;
  if (longerThan(params["name"], MAX_NAME_LENGTH)) {
    return invalidParams(
      `${NAME_LABEL.get(method) ?? "name"} too long (params.name has more than ${MAX_NAME_LENGTH} characters)`,
    );
  }
  if (longerThan(params["uri"], MAX_URI_LENGTH)) {
    return invalidParams(`resource URI too long (params.uri has more than ${MAX_URI_LENGTH} characters)`);
  }
  if (longerThan(params["taskId"], MAX_NAME_LENGTH)) {
    return invalidParams(`task id too long (params.taskId has more than ${MAX_NAME_LENGTH} characters)`);
  }
  const meta = params["_meta"];
  if (isRecord(meta) && longerThan(meta[PROTOCOL_VERSION_META_KEY], MAX_NAME_LENGTH)) {
    return invalidParams(
      `protocol version too long (params._meta["${PROTOCOL_VERSION_META_KEY}"] has more than ${MAX_NAME_LENGTH} characters)`,
    );
  }
  return undefined;
}

/**
 * The era the SDK will serve a request in, by its own classifier (the `_meta` envelope claim
 * and the `MCP-Protocol-Version` header), or `undefined` when the SDK refuses it before any
 * dispatch (a header/body mismatch, an invalid envelope…) and so answers it itself.
 */
function eraOf(request: Request, message: unknown, inBatch: boolean): Era | undefined {
  // JSON-RPC batches exist only in the 2025-03-26 legacy transport.
  if (inBatch) return "legacy";
  const header = (name: string) => request.headers.get(name) ?? undefined;
  const outcome = classifyInboundRequest({
    httpMethod: request.method,
    body: message,
    ...optional("protocolVersionHeader", header("mcp-protocol-version")),
    ...optional("mcpMethodHeader", header("mcp-method")),
    ...optional("mcpNameHeader", header("mcp-name")),
  });
  return outcome.kind === "reject" ? undefined : outcome.kind;
}

/** `{ [key]: value }`, or nothing when the value is absent (exactOptionalPropertyTypes). */
function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

/** One JSON-RPC message's refusal, or `undefined` when it may go to the SDK. */
function checkMessage(request: Request, message: unknown, inBatch: boolean): Refusal | undefined {
  // Not a JSON-RPC request or notification (params `null`, a number, an array…): the SDK
  // answers -32600 without copying anything.
  if (!isJSONRPCRequest(message) && !isJSONRPCNotification(message)) return undefined;
  const { method, params } = message;
  if ("id" in message && longerThan(message.id, MAX_NAME_LENGTH)) {
    return { code: -32600, message: `Invalid Request: the id has more than ${MAX_NAME_LENGTH} characters` };
  }
  if (method.length > MAX_NAME_LENGTH) {
    return { code: -32601, message: `Method not found: the method name has more than ${MAX_NAME_LENGTH} characters` };
  }
  const echoed = checkEchoedStrings(method, params);
  if (echoed !== undefined) return echoed;
  const served = SERVED_REQUESTS.get(method);
  if (served === undefined || !isJSONRPCRequest(message)) return undefined;
  // Era rules come before params: a method the request's revision removed (2026-07-28
  // `initialize`, `ping`) is the SDK's 404 + -32601 whatever its params, and a request the
  // SDK's classifier refuses (envelope, header cross-checks) gets the SDK's own answer.
  const era = eraOf(request, message, inBatch);
  if (era === undefined || !served.eras.has(era)) return undefined;
  const result = served.schema["~standard"].validate({ method, params });
  // specTypeSchemas are synchronous (StandardSchemaV1Sync); a promise would be an SDK change.
  if (result instanceof Promise) throw new TypeError(`mcp-core: the SDK's ${method} schema became asynchronous`);
  const issue = result.issues?.[0];
  if (issue !== undefined) return invalidParams(`${method}: ${issuePath(issue)}: ${issue.message}`);
  return method === "tools/call" ? checkToolName(params) : undefined;
}

/**
 * The SDK finds a tool by indexing a plain object with `params.name`, so a name like
 * `constructor` or `__proto__` finds an `Object.prototype` member and is answered "disabled".
 * Such a name is answered here exactly as the SDK answers any unknown tool (in-band -32602).
 */
function checkToolName(params: unknown): Refusal | undefined {
  const name = isRecord(params) ? params["name"] : undefined;
  if (typeof name !== "string" || TOOLS.some((tool) => tool.name === name)) return undefined;
  if (!Object.hasOwn(Object.prototype, name)) return undefined;
  return { code: -32602, message: `Tool ${name} not found`, status: 200 };
}

/** The headers the SDK's 2026-07-28 cross-checks copy into their messages, bounded likewise. */
function checkHeaders(request: Request, methods: readonly string[]): Refusal | undefined {
  if (longerThan(request.headers.get("mcp-protocol-version"), MAX_NAME_LENGTH)) {
    return {
      code: -32000,
      message: `Bad Request: Unsupported protocol version (the MCP-Protocol-Version header has more than ${MAX_NAME_LENGTH} characters)`,
    };
  }
  const mismatch = (header: string, max: number) => ({
    code: -32020,
    message: `Bad Request: the request headers and body disagree: the ${header} header has more than ${max} characters`,
  });
  if (longerThan(request.headers.get("mcp-method"), MAX_NAME_LENGTH)) return mismatch("Mcp-Method", MAX_NAME_LENGTH);
  const nameMax = methods.some((method) => URI_METHODS.has(method)) ? MAX_URI_LENGTH : MAX_NAME_LENGTH;
  if (longerThan(request.headers.get("mcp-name"), nameMax)) return mismatch("Mcp-Name", nameMax);
  return undefined;
}

/**
 * Checks a parsed POST body before the SDK sees it, so that bad input gets a short, named
 * refusal instead of an internal error or a copy of itself. Returns `undefined` when the SDK
 * may answer, or a ready 400 JSON-RPC error (with the request's id when the body is one
 * request, `null` otherwise).
 *
 * Validates: the params of the requests this server serves, in the eras that have them,
 * against the SDK's own schemas (`-32602`, naming the first failing field); the length of every client-supplied string an
 * SDK error message copies — method (`-32601`), tool/prompt name, task id, resource URI and
 * protocol-version claim in params (`-32602`), string ids (`-32600`), and the
 * `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` headers (`-32000`/`-32020`).
 * Does not validate: JSON-RPC shape (the SDK answers `-32600`), methods this server does not
 * serve or that the request's protocol revision removed (the SDK answers `-32601` — 404 in
 * 2026-07-28 — without echoing the name), requests the SDK's era classifier refuses (it
 * answers them before dispatch), tool arguments (each tool's
 * schema does, as a tool error), notifications' params (the SDK drops a bad notification).
 */
export function checkMessages(request: Request, parsedBody: unknown): Response | undefined {
  const messages: unknown[] = Array.isArray(parsedBody) ? parsedBody : [parsedBody];
  const methods = messages.flatMap((message) =>
    isRecord(message) && typeof message["method"] === "string" ? [message["method"]] : [],
  );
  let refusal: Refusal | undefined;
  for (const message of messages) refusal ??= checkMessage(request, message, Array.isArray(parsedBody));
  refusal ??= checkHeaders(request, methods);
  if (refusal === undefined) return undefined;
  const id = isRecord(parsedBody) ? parsedBody["id"] : undefined;
  const echoableId = (typeof id === "string" && id.length <= MAX_NAME_LENGTH) || typeof id === "number" ? id : null;
  return jsonRpcErrorResponse(refusal.status ?? 400, refusal.message, { code: refusal.code, id: echoableId });
}

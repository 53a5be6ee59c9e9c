import {
  PROTOCOL_VERSION_META_KEY,
  isJSONRPCNotification,
  isJSONRPCRequest,
  specTypeSchemas,
  type StandardSchemaV1,
} from "@modelcontextprotocol/server";
import { jsonRpcErrorResponse } from "./json-rpc-error.ts";

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

/**
 * The requests this server serves (`buildServer`: tools only) with the SDK's own schema for
 * each. The SDK validates them too, but a failure there is answered `-32603` with the whole
 * `ZodError` as the message (`setRequestHandler`'s spec-method path throws a plain `Error`,
 * and no option changes that), so they are checked here first. Notifications are not:
 * the SDK drops a bad one without an answer.
 */
const SERVED_REQUESTS: Readonly<Record<string, StandardSchemaV1>> = {
  initialize: specTypeSchemas.InitializeRequest,
  ping: specTypeSchemas.PingRequest,
  "tools/list": specTypeSchemas.ListToolsRequest,
  "tools/call": specTypeSchemas.CallToolRequest,
  "server/discover": specTypeSchemas.DiscoverRequest,
};

/** What each method's `params.name` names, for the message that refuses a long one. */
const NAME_LABEL: Readonly<Record<string, string>> = { "tools/call": "tool name", "prompts/get": "prompt name" };

/** Methods whose `Mcp-Name` header mirrors `params.uri` rather than a name (SEP-2243). */
const URI_METHODS = new Set(["resources/read", "resources/subscribe", "resources/unsubscribe"]);

interface Refusal {
  code: number;
  message: string;
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
      `${NAME_LABEL[method] ?? "name"} too long (params.name has more than ${MAX_NAME_LENGTH} characters)`,
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

/** One JSON-RPC message's refusal, or `undefined` when it may go to the SDK. */
function checkMessage(message: unknown): Refusal | undefined {
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
  const schema = SERVED_REQUESTS[method];
  if (schema === undefined || !isJSONRPCRequest(message)) return undefined;
  const result = schema["~standard"].validate({ method, params });
  // specTypeSchemas are synchronous (StandardSchemaV1Sync); a promise would be an SDK change.
  if (result instanceof Promise) throw new TypeError(`mcp-core: the SDK's ${method} schema became asynchronous`);
  const issue = result.issues?.[0];
  return issue === undefined ? undefined : invalidParams(`${method}: ${issuePath(issue)}: ${issue.message}`);
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
 * Validates: the params of the requests this server serves against the SDK's own schemas
 * (`-32602`, naming the first failing field); the length of every client-supplied string an
 * SDK error message copies — method (`-32601`), tool/prompt name, task id, resource URI and
 * protocol-version claim in params (`-32602`), string ids (`-32600`), and the
 * `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` headers (`-32000`/`-32020`).
 * Does not validate: JSON-RPC shape (the SDK answers `-32600`), methods this server does not
 * serve (the SDK answers `-32601` without echoing the name), tool arguments (each tool's
 * schema does, as a tool error), notifications' params (the SDK drops a bad notification).
 */
export function checkMessages(request: Request, parsedBody: unknown): Response | undefined {
  const messages: unknown[] = Array.isArray(parsedBody) ? parsedBody : [parsedBody];
  const methods = messages.flatMap((message) =>
    isRecord(message) && typeof message["method"] === "string" ? [message["method"]] : [],
  );
  let refusal: Refusal | undefined;
  for (const message of messages) refusal ??= checkMessage(message);
  refusal ??= checkHeaders(request, methods);
  if (refusal === undefined) return undefined;
  const id = isRecord(parsedBody) ? parsedBody["id"] : undefined;
  const echoableId = (typeof id === "string" && id.length <= MAX_NAME_LENGTH) || typeof id === "number" ? id : null;
  return jsonRpcErrorResponse(400, refusal.message, { code: refusal.code, id: echoableId });
}

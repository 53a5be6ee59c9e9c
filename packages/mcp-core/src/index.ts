export {
  DEFAULT_BODY_LIMITS,
  checkBatch,
  jsonDepth,
  readJsonBody,
  readMcpBody,
  type BodyLimits,
  type BodyRejection,
} from "./body.ts";
export { callerFromAuthInfo, type Caller } from "./caller.ts";
export { MAX_NAME_LENGTH, MAX_URI_LENGTH, checkMessages } from "./message-check.ts";
export { createMcpEndpoint, type McpCall, type McpEndpoint, type McpEndpointOptions } from "./endpoint.ts";
export {
  MAX_NOTES,
  MAX_NOTE_LENGTH,
  notesDigest,
  notesNdjson,
  planImport,
  type AddNoteResult,
  type ClearNotesResult,
  type ExportedNote,
  type ImportCounts,
  type ImportNotesResult,
  type Note,
  type NotebookTransfer,
  type NotesDirectory,
  type NotesStore,
} from "./notes/notes-store.ts";
export {
  MAX_NOTES_IMPORT_BYTES,
  NOTES_ADMIN_PATH,
  notesAdminRoutes,
  parseNotesNdjson,
  serveNotesAdmin,
} from "./notes/notes-admin.ts";
export { registerTools, type RegisterToolsOptions, type ToolNotice } from "./register-tools.ts";
export { findScopeShortfall, type ScopeShortfall } from "./scope-gate.ts";
export { INITIAL_SCOPES, SCOPES, SCOPE_DESCRIPTIONS, allows, effectiveScopes, type Scope } from "./scopes.ts";
export { buildServer, type ServerInfo } from "./server.ts";
export { TOOLS, defineTool, type ToolDefinition, type ToolDeps, type ToolOutcome } from "./tools/index.ts";

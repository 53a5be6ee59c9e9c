export {
  CLIENT_KINDS,
  connectClient,
  resultText,
  staticTokenProvider,
  viaHandler,
  whoamiWithToken,
  type ClientKind,
  type Connection,
  type ContractOAuthProvider,
  type FetchLike,
  type McpTestClient,
  type ToolCallResult,
} from "./clients.ts";
export { describeMcpContract, type ContractTarget } from "./contract.ts";
export { describeNotesAdmin, type AdminCall, type NotesAdminTarget } from "./notes-admin.ts";

export {
  CLIENT_KINDS,
  connectClient,
  resultText,
  viaHandler,
  type ClientKind,
  type Connection,
  type FetchLike,
  type McpTestClient,
  type ToolCallResult,
} from "./clients.ts";
export { describeMcpContract, type ContractTarget } from "./contract.ts";

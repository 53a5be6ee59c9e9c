// The Client ID Metadata Documents both OAuth apps' workerd tests are served (shared).
export * from "@mcp-auth/dev-harness/client-metadata-documents";

import { describeConformance } from "@mcp-auth/mcp-core/testing/node";
import { inject } from "vitest";

// The MCP conformance suite (2025 and 2026-07-28) against the running Worker, no credential:
// every scenario that applies to our tool set passes (the list and the reasons for the rest are
// in mcp-core's conformance suite).
describeConformance("no-auth", () => Promise.resolve({ origin: inject("origin") }));

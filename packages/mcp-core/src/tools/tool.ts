import type { ToolAnnotations } from "@modelcontextprotocol/server";
import type { z } from "zod";
import type { Caller } from "../caller.ts";
import type { NotesStore } from "../notes/notes-store.ts";
import type { Scope } from "../scopes.ts";

/** What a tool handler may use. Everything with I/O comes in here, so handlers test without a server. */
export interface ToolDeps {
  caller: Caller;
  notes: NotesStore;
}

/** A handler's answer: structured output, or an expected failure the model should read. */
export type ToolOutcome<Out> = { ok: true; output: Out; text?: string } | { ok: false; message: string };

/** One tool, as data: registered by one loop in `register-tools.ts`. */
export interface ToolDefinition<In extends z.ZodObject = z.ZodObject, Out extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  input: In;
  output: Out;
  annotations: ToolAnnotations;
  /** Scope the caller needs; `undefined` means any authenticated caller. */
  scope: Scope | undefined;
  handler(input: z.output<In>, deps: ToolDeps): Promise<ToolOutcome<z.output<Out>>>;
}

/** Identity function that keeps the input/output types of a tool definition. */
export function defineTool<In extends z.ZodObject, Out extends z.ZodObject>(
  tool: ToolDefinition<In, Out>,
): ToolDefinition<In, Out> {
  return tool;
}

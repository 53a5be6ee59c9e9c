import { echo } from "./echo.ts";
import { notesAdd } from "./notes-add.ts";
import { notesDelete } from "./notes-delete.ts";
import { notesList } from "./notes-list.ts";
import type { ToolDefinition } from "./tool.ts";
import { whoami } from "./whoami.ts";

/** The whole tool set, in listing order. */
export const TOOLS: readonly ToolDefinition[] = [whoami, echo, notesList, notesAdd, notesDelete];

export { echo, notesAdd, notesDelete, notesList, whoami };
export { defineTool, type ToolDefinition, type ToolDeps, type ToolOutcome } from "./tool.ts";

/** The scopes of the tool set. `notes:write` implies `notes:read` (requirement R8). */
export const SCOPES = ["notes:read", "notes:write"] as const;
export type Scope = (typeof SCOPES)[number];

/** The scope an OAuth client starts with; anything more is a step-up. */
export const INITIAL_SCOPES = ["notes:read"] as const satisfies readonly Scope[];

/** What a consent page says each scope lets a client do. */
export const SCOPE_DESCRIPTIONS: Readonly<Record<Scope, string>> = {
  "notes:read": "read your notes",
  "notes:write": "add and delete your notes (includes reading them)",
};

const IMPLIED: Readonly<Record<Scope, readonly Scope[]>> = {
  "notes:read": [],
  "notes:write": ["notes:read"],
};

function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** The caller's effective scopes: what was granted plus everything it implies. Unknown scopes are kept. */
export function effectiveScopes(granted: readonly string[]): string[] {
  const out = new Set(granted);
  for (const scope of granted) if (isScope(scope)) for (const implied of IMPLIED[scope]) out.add(implied);
  return [...out];
}

/** True when `granted` (after implication) covers `needed`. */
export function allows(granted: readonly string[], needed: Scope | undefined): boolean {
  return needed === undefined || effectiveScopes(granted).includes(needed);
}

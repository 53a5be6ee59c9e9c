/** The scopes of the tool set. `notes:write` implies `notes:read` (requirement R8). */
export const SCOPES = ["notes:read", "notes:write"] as const;
export type Scope = (typeof SCOPES)[number];

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

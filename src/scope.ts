import type { Scope } from './schema.js';

/** The scope fields of `value` that are set, and nothing else (options objects carry more). */
export function scopeOf(value: Scope): Scope {
  const scope: Scope = {};
  if (value.userId !== undefined) scope.userId = value.userId;
  if (value.agentId !== undefined) scope.agentId = value.agentId;
  if (value.runId !== undefined) scope.runId = value.runId;
  return scope;
}

/** Whether a memory lies inside a scope: every field the scope sets is equal on the memory (as in `getAll`). */
export function isInScope(item: Scope, scope: Scope): boolean {
  return (
    (scope.userId === undefined || item.userId === scope.userId) &&
    (scope.agentId === undefined || item.agentId === scope.agentId) &&
    (scope.runId === undefined || item.runId === scope.runId)
  );
}

import type { Scope } from './schema.js';

/** The scope fields of `value` that are set, and nothing else (options objects carry more). */
export function scopeOf(value: Scope): Scope {
  const scope: Scope = {};
  if (value.userId !== undefined) scope.userId = value.userId;
  if (value.agentId !== undefined) scope.agentId = value.agentId;
  if (value.runId !== undefined) scope.runId = value.runId;
  return scope;
}

/** Whether no scope field is set (none given, or `{}`): the whole store, as for the store's own policy. */
export function isWholeStore(scope: Scope | undefined): boolean {
  return scope === undefined || (scope.userId === undefined && scope.agentId === undefined && scope.runId === undefined);
}

/** Whether a memory lies inside a scope: every field the scope sets is equal on the memory (as in `getAll`). */
export function isInScope(item: Scope, scope: Scope): boolean {
  return (
    (scope.userId === undefined || item.userId === scope.userId) &&
    (scope.agentId === undefined || item.agentId === scope.agentId) &&
    (scope.runId === undefined || item.runId === scope.runId)
  );
}

/** The scope a stored row belongs to: its non-NULL scope columns (both engines store a scope as three nullable columns). */
export function scopeOfRow(row: { user_id: string | null; agent_id: string | null; run_id: string | null }): Scope {
  const scope: Scope = {};
  if (row.user_id !== null) scope.userId = row.user_id;
  if (row.agent_id !== null) scope.agentId = row.agent_id;
  if (row.run_id !== null) scope.runId = row.run_id;
  return scope;
}

/** One string per exact scope (user, agent, run; absent fields differ from empty ones): the queue keeps order per key. */
export function scopeKey(scope: Scope): string {
  return JSON.stringify([scope.userId ?? null, scope.agentId ?? null, scope.runId ?? null]);
}

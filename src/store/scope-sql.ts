import type { Scope } from '../schema.js';

/** A scope as column values; absent fields are undefined (unconstrained in reads, NULL in rows). */
export type ScopeColumns = { user_id?: string | undefined; agent_id?: string | undefined; run_id?: string | undefined };


export function scopeColumns(scope: Scope): ScopeColumns {
  return { user_id: scope.userId, agent_id: scope.agentId, run_id: scope.runId };
}

/**
 * SQL selecting the rows of `table` inside a scope: every field the scope gives
 * must match. Absent fields are unconstrained, so `{ userId }` covers all of that
 * user's agents and runs, and never any other user's rows.
 */
export function scopeWhere(scope: ScopeColumns, table: string, options: { unindexed?: boolean } = {}): { sql: string; params: string[] } {
  // `unindexed`: a unary + keeps SQLite off the scope's indexes, for queries where another term is the selective one.
  const prefix = options.unindexed ? '+' : '';
  const clauses: string[] = [];
  const params: string[] = [];
  for (const column of ['user_id', 'agent_id', 'run_id'] as const) {
    const value = scope[column];
    if (value !== undefined) {
      clauses.push(`${prefix}${table}.${column} = ?`);
      params.push(value);
    }
  }
  if (clauses.length === 0) throw new Error('scopeWhere needs at least one scope field');
  return { sql: clauses.join(' AND '), params };
}

/**
 * The exact scope as one SQL value, json_array(user_id, agent_id, run_id),
 * computed by SQLite from the bound columns so that it always equals the
 * same expression over a stored row's columns (the graph tables' scope_key).
 */
export function scopeKeySql(scope: ScopeColumns): { sql: string; params: (string | null)[] } {
  return { sql: 'json_array(?, ?, ?)', params: [scope.user_id ?? null, scope.agent_id ?? null, scope.run_id ?? null] };
}

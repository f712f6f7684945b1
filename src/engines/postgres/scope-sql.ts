import type { Scope } from '../../schema.js';
import type { SqlParams } from './sql-params.js';

const SCOPE_COLUMNS = [
  ['userId', 'user_id'],
  ['agentId', 'agent_id'],
  ['runId', 'run_id'],
] as const;

/**
 * Rows of `table` inside a scope: every field the scope gives must match;
 * absent fields are unconstrained, so `{ userId }` covers all of that user's
 * agents and runs, and never any other user's rows.
 */
export function scopeWhere(scope: Scope, table: string, params: SqlParams): string {
  const clauses = SCOPE_COLUMNS.flatMap(([field, column]) => {
    const value = scope[field];
    return value === undefined ? [] : [`${table}.${column} = ${params.add(value)}`];
  });
  if (clauses.length === 0) throw new Error('a scope needs at least one of userId, agentId, runId');
  return clauses.join(' AND ');
}

/**
 * Rows of exactly this scope (absent fields must be NULL), written as the
 * expressions of the memories_current_hash index so PostgreSQL can use it.
 */
export function exactScopeWhere(scope: Scope, table: string, params: SqlParams): string {
  return SCOPE_COLUMNS.map(([field, column]) => `coalesce(${table}.${column}, '') = ${params.add(scope[field] ?? '')}`).join(' AND ');
}

/** The same, for tables without that index (messages). */
export function exactScopeWhereNullable(scope: Scope, table: string, params: SqlParams): string {
  return SCOPE_COLUMNS.map(([field, column]) => `${table}.${column} IS NOT DISTINCT FROM ${params.add(scope[field] ?? null)}::text`).join(' AND ');
}

/**
 * Versions a read sees: the current ones not yet expired now, or those valid
 * and not yet expired at an instant (ms). "Now" is read when the query is
 * built: an expiry needs no write to take effect.
 */
export function validityWhere(at: number | undefined, table: string, params: SqlParams): string {
  if (at === undefined) return `${table}.valid_to IS NULL AND ${notExpired(table, params.add(Date.now()))}`;
  const instant = params.add(Math.trunc(at));
  return `${table}.valid_from <= ${instant}::bigint AND (${table}.valid_to IS NULL OR ${table}.valid_to > ${instant}::bigint) AND ${notExpired(table, instant)}`;
}

/** Versions not yet expired at the instant `placeholder` binds. */
const notExpired = (table: string, placeholder: string) => `(${table}.expires_at IS NULL OR ${table}.expires_at > ${placeholder}::bigint)`;

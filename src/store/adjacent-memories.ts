import type { Statement } from 'better-sqlite3';
import type { Database } from './database.js';
import type { SqlFragment } from './filter-sql.js';
import { validityWhere, type MemoryRow, type Validity } from './memories.js';

export type AdjacencyQuery = { window: number; gapMs: number; validity: Validity; filter?: SqlFragment | undefined };

/**
 * The memories stored just before and after `row` in its exact scope, each
 * side oldest first: at most `window` on each side, in storage order (created_at, then
 * seq: the scope indexes end in the rowid, so both walk the index with no
 * sort, whatever the scope's size), visible to the read and passing the filter. A step whose world
 * time (valid_from) jumps by more than `gapMs` ends that side: the
 * conversation moved to another session.
 */
export function adjacentRows(db: Database, row: MemoryRow, query: AdjacencyQuery): { before: MemoryRow[]; after: MemoryRow[] } {
  return { before: side(db, row, query, 'before').reverse(), after: side(db, row, query, 'after') };
}

function side(db: Database, row: MemoryRow, query: AdjacencyQuery, direction: 'before' | 'after'): MemoryRow[] {
  const valid = validityWhere(query.validity, 'm');
  const filter = query.filter ? ` AND ${query.filter.sql}` : '';
  const [compare, order] = direction === 'before' ? ['<', 'DESC'] : ['>', 'ASC'];
  // The scope's first set column leads, so SQLite walks that column's (…, created_at) index from the row outward.
  const scope = exactScopeWhere(row);
  const rows = prepared(
    db,
    `SELECT m.* FROM memories m
     WHERE ${scope.sql} AND ${valid.sql}${filter} AND (m.created_at, m.seq) ${compare} (?, ?)
     ORDER BY m.created_at ${order}, m.seq ${order} LIMIT ?`,
  ).all(...scope.params, ...valid.params, ...(query.filter?.params ?? []), row.created_at, row.seq, query.window) as MemoryRow[];
  const kept: MemoryRow[] = [];
  let previous = row.valid_from;
  for (const next of rows) {
    if (Math.abs(next.valid_from - previous) > query.gapMs) break;
    kept.push(next);
    previous = next.valid_from;
  }
  return kept;
}

/** Statements by their SQL, per connection: a search reads the neighbours of 20 hits, and preparing costs more than running. */
const statements = new WeakMap<Database, Map<string, Statement>>();
const MAX_STATEMENTS = 64;

function prepared(db: Database, sql: string): Statement {
  let cache = statements.get(db);
  if (!cache) statements.set(db, (cache = new Map()));
  let statement = cache.get(sql);
  if (!statement) {
    if (cache.size >= MAX_STATEMENTS) cache.clear(); // filters make the SQL vary: keep the cache bounded
    statement = db.prepare(sql);
    cache.set(sql, statement);
  }
  return statement;
}

/** Exactly the row's scope: equal where it sets a field, NULL where it does not. */
function exactScopeWhere(row: MemoryRow): { sql: string; params: string[] } {
  const clauses: string[] = [];
  const params: string[] = [];
  for (const column of ['user_id', 'agent_id', 'run_id'] as const) {
    const value = row[column];
    if (value === null) clauses.push(`m.${column} IS NULL`);
    else {
      clauses.push(`m.${column} = ?`);
      params.push(value);
    }
  }
  return { sql: clauses.join(' AND '), params };
}

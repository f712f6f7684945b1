import type { Statement } from 'better-sqlite3';
import type { Database } from './database.js';
import type { SqlFragment } from './filter-sql.js';
import { validityWhere, type MemoryRow, type Validity } from './memories.js';

export type AdjacencyQuery = { window: number; gapMs: number; validity: Validity; filter?: SqlFragment | undefined };

type Side = 'before' | 'after';
type SideRow = MemoryRow & { around: number; side: Side };

/**
 * The memories stored as said just before and after each of `rows` (also
 * stored as said) in its exact scope, each side oldest first: at most `window` on each side, in storage
 * order (created_at, then seq: the scope indexes end in the rowid, so each
 * side walks an index from the row outward with no sort, whatever the
 * scope's size), visible to the read and passing the filter. A step whose
 * world time (valid_from) jumps by more than `gapMs` ends that side: the
 * conversation moved to another session.
 *
 * One statement for every row and side (a compound SELECT): a search reads
 * the neighbours of its ten or more hits, and a statement's fixed cost is
 * most of a small read's.
 */
export function adjacentRows(db: Database, rows: readonly MemoryRow[], query: AdjacencyQuery): { before: MemoryRow[]; after: MemoryRow[] }[] {
  if (rows.length === 0) return [];
  const valid = validityWhere(query.validity, 'm');
  const filter = query.filter ? ` AND ${query.filter.sql}` : '';
  const parts: string[] = [];
  const params: unknown[] = [];
  rows.forEach((row, index) => {
    const scope = exactScopeWhere(row);
    for (const side of ['before', 'after'] as const) {
      const [compare, order] = side === 'before' ? ['<', 'DESC'] : ['>', 'ASC'];
      parts.push(
        `SELECT * FROM (SELECT ${index} AS around, '${side}' AS side, m.* FROM memories m
         WHERE ${scope.sql} AND ${valid.sql}${filter} AND ${STORED_AS_SAID} AND (m.created_at, m.seq) ${compare} (?, ?)
         ORDER BY m.created_at ${order}, m.seq ${order} LIMIT ?)`,
      );
      params.push(...scope.params, ...valid.params, ...(query.filter?.params ?? []), row.created_at, row.seq, query.window);
    }
  });
  const found = prepared(db, parts.join(' UNION ALL ')).all(...params) as SideRow[];
  const grouped = rows.map(() => ({ before: [] as MemoryRow[], after: [] as MemoryRow[] }));
  for (const { around, side, ...row } of found) (grouped[around] as { before: MemoryRow[]; after: MemoryRow[] })[side].push(row);
  return grouped.map((group, index) => {
    const from = (rows[index] as MemoryRow).valid_from;
    return { before: withinSession(group.before, from, query.gapMs).reverse(), after: withinSession(group.after, from, query.gapMs) };
  });
}

/**
 * A memory stored as said, from one message (`infer: false`): its source names the message's role.
 * Inferred facts have no turns around them; facts stored after one another are not a conversation.
 */
const STORED_AS_SAID = `json_type(m.source, '$.role') = 'text'`;

export function storedAsSaid(row: MemoryRow): boolean {
  if (row.source === null) return false;
  try {
    const source = JSON.parse(row.source) as { role?: unknown };
    return typeof source === 'object' && source !== null && typeof source.role === 'string';
  } catch {
    return false;
  }
}

/** The rows (nearest first) up to the first jump in world time larger than gapMs. */
function withinSession(rows: readonly MemoryRow[], from: number, gapMs: number): MemoryRow[] {
  const kept: MemoryRow[] = [];
  let previous = from;
  for (const row of rows) {
    if (Math.abs(row.valid_from - previous) > gapMs) break;
    kept.push(row);
    previous = row.valid_from;
  }
  return kept;
}

/** Statements by their SQL, per connection: preparing a compound statement costs more than running it. */
const statements = new WeakMap<Database, Map<string, Statement>>();
const MAX_STATEMENTS = 64;

function prepared(db: Database, sql: string): Statement {
  let cache = statements.get(db);
  if (!cache) statements.set(db, (cache = new Map()));
  let statement = cache.get(sql);
  if (!statement) {
    if (cache.size >= MAX_STATEMENTS) cache.clear(); // hit counts, scope shapes and filters vary the SQL: keep it bounded
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

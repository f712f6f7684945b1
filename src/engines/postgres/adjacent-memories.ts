import type { Adjacent, AdjacencyOptions } from '../../storage/storage.js';
import { compileFilter } from './filter-sql.js';
import { MEMORY_COLUMNS, type MemoryRow, num, toMemoryItem } from './rows.js';
import { validityWhere } from './scope-sql.js';
import type { SqlQueryable } from './sql-client.js';
import { SqlParams } from './sql-params.js';

type AdjacentRow = MemoryRow & { around_id: string; around_valid_from: number | string; side: 'before' | 'after' };

/**
 * The memories stored as said (their source names a role) just before and
 * after each of `ids` (also stored as said) in its exact scope,
 * in one statement (a round trip costs more than the rows): storage order is
 * (created_at, seq), and a side ends where valid_from jumps by more than gapMs
 * (see the port's adjacentMemories).
 */
export async function adjacentMemories(sql: SqlQueryable, ids: readonly string[], options: AdjacencyOptions): Promise<Map<string, Adjacent>> {
  if (ids.length === 0) return new Map();
  const p = new SqlParams();
  const wanted = `SELECT w.id, w.seq, w.user_id, w.agent_id, w.run_id, w.created_at, w.valid_from FROM memories w
    WHERE w.id = ANY(${p.add([...ids])}::text[]) AND ${validityWhere(options.at, 'w', p)} AND jsonb_typeof(w.source -> 'role') = 'string'`;
  const side = (name: 'before' | 'after'): string => {
    const [compare, order] = name === 'before' ? ['<', 'DESC'] : ['>', 'ASC'];
    const where = [
      `coalesce(m.user_id, '') = coalesce(w.user_id, '')`,
      `coalesce(m.agent_id, '') = coalesce(w.agent_id, '')`,
      `coalesce(m.run_id, '') = coalesce(w.run_id, '')`,
      validityWhere(options.at, 'm', p),
      `jsonb_typeof(m.source -> 'role') = 'string'`,
      `(m.created_at, m.seq) ${compare} (w.created_at, w.seq)`,
    ];
    if (options.filter) where.push(compileFilter(options.filter, 'm.metadata', p));
    return `SELECT w.id AS around_id, w.valid_from AS around_valid_from, '${name}' AS side, n.* FROM wanted w CROSS JOIN LATERAL (
      SELECT ${MEMORY_COLUMNS('m')} FROM memories m WHERE ${where.join(' AND ')}
      ORDER BY m.created_at ${order}, m.seq ${order} LIMIT ${p.add(options.window)}) n`;
  };
  const rows = await sql.query<AdjacentRow>(`WITH wanted AS (${wanted}) ${side('before')} UNION ALL ${side('after')}`, p.values);
  const around = new Map<string, Adjacent>();
  const groups = new Map<string, { before: AdjacentRow[]; after: AdjacentRow[] }>();
  for (const row of rows) {
    const group = groups.get(row.around_id) ?? { before: [], after: [] };
    group[row.side].push(row);
    groups.set(row.around_id, group);
  }
  for (const [id, group] of groups) {
    const start = num((group.before[0] ?? group.after[0] as AdjacentRow).around_valid_from);
    const before = withinSession(group.before, start, options.gapMs).reverse();
    const after = withinSession(group.after, start, options.gapMs);
    if (before.length + after.length > 0) around.set(id, { before: before.map(toMemoryItem), after: after.map(toMemoryItem) });
  }
  return around;
}

/** The rows (nearest first) up to the first jump in world time larger than gapMs. */
function withinSession(rows: readonly AdjacentRow[], from: number, gapMs: number): AdjacentRow[] {
  const kept: AdjacentRow[] = [];
  let previous = from;
  for (const row of rows) {
    const at = num(row.valid_from);
    if (Math.abs(at - previous) > gapMs) break;
    kept.push(row);
    previous = at;
  }
  return kept;
}

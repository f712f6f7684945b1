import { scopeKey, scopeOfRow } from '../../scope.js';
import { latestVersionById } from './memories.js';
import { num } from './rows.js';
import { validityWhere } from './scope-sql.js';
import type { SqlQueryable } from './sql-client.js';
import { SqlParams } from './sql-params.js';

/**
 * Sets which entities a memory names, replacing the previous set. Throws
 * unless the memory exists and every entity exists in its exact scope.
 */
export async function setMentions(sql: SqlQueryable, memoryId: string, entityIds: readonly string[]): Promise<void> {
  const memory = await latestVersionById(sql, memoryId);
  if (!memory) throw new Error(`cannot set the mentions of memory ${memoryId}: it does not exist`);
  const ids = [...new Set(entityIds)];
  if (ids.length > 0) {
    const found = await sql.query<{ id: string }>('SELECT id FROM entities WHERE id = ANY($1::text[]) AND scope_key = $2', [ids, scopeKey(scopeOfRow(memory))]);
    const missing = ids.filter((id) => !found.some((row) => row.id === id));
    if (missing.length > 0) throw new Error(`memory ${memoryId} cannot name entity ${missing.join(', ')}: no such entity in the memory's exact scope`);
  }
  await sql.query('DELETE FROM memory_entities WHERE memory_id = $1 AND NOT (entity_id = ANY($2::text[]))', [memoryId, ids]);
  if (ids.length > 0) {
    await sql.query('INSERT INTO memory_entities (memory_id, entity_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING', [memoryId, ids]);
  }
}

/** The entities each of these memories names (memories naming none are left out). */
export async function mentionsOf(sql: SqlQueryable, memoryIds: readonly string[]): Promise<Map<string, string[]>> {
  const mentions = new Map<string, string[]>();
  if (memoryIds.length === 0) return mentions;
  const rows = await sql.query<{ memory_id: string; entity_id: string }>(
    'SELECT memory_id, entity_id FROM memory_entities WHERE memory_id = ANY($1::text[]) ORDER BY memory_id, entity_id',
    [[...memoryIds]],
  );
  for (const row of rows) {
    const list = mentions.get(row.memory_id);
    if (list) list.push(row.entity_id);
    else mentions.set(row.memory_id, [row.entity_id]);
  }
  return mentions;
}

/** A mention (`me`) made by a current, unexpired memory. */
const namedByCurrent = (p: SqlParams) => `EXISTS (SELECT 1 FROM memories m WHERE m.id = me.memory_id AND ${validityWhere(undefined, 'm', p)})`;

/** Current memories naming any of these entities, with how many of them each names: most first, then by memory id; at most `limit`. */
export async function mentionCounts(sql: SqlQueryable, entityIds: readonly string[]): Promise<Map<string, number>> {
  if (entityIds.length === 0) return new Map();
  const p = new SqlParams();
  const rows = await sql.query<{ entity_id: string; n: number | string }>(
    `SELECT me.entity_id, count(*) AS n FROM memory_entities me
     WHERE me.entity_id = ANY(${p.add([...new Set(entityIds)])}::text[]) AND ${namedByCurrent(p)}
     GROUP BY me.entity_id`,
    p.values,
  );
  return new Map(rows.map((row) => [row.entity_id, num(row.n)]));
}

export async function memoriesMentioning(sql: SqlQueryable, entityIds: readonly string[], limit: number): Promise<{ memoryId: string; count: number }[]> {
  if (entityIds.length === 0 || limit < 1) return [];
  const p = new SqlParams();
  const rows = await sql.query<{ memory_id: string; n: number | string }>(
    `SELECT me.memory_id, count(*) AS n FROM memory_entities me
     WHERE me.entity_id = ANY(${p.add([...new Set(entityIds)])}::text[]) AND ${namedByCurrent(p)}
     GROUP BY me.memory_id ORDER BY count(*) DESC, me.memory_id LIMIT ${p.add(Math.trunc(limit))}`,
    p.values,
  );
  return rows.map((row) => ({ memoryId: row.memory_id, count: num(row.n) }));
}

/** Forgets what purged memories named. */
export async function purgeMentions(sql: SqlQueryable, memoryIds: readonly string[]): Promise<void> {
  if (memoryIds.length > 0) await sql.query('DELETE FROM memory_entities WHERE memory_id = ANY($1::text[])', [[...memoryIds]]);
}

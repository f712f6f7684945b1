import { EngramError } from '../errors.js';
import type { Database } from './database.js';
import { notExpired } from './memories.js';

/**
 * Which entities a memory names (`memory_entities`), by memory id: one set
 * for all the memory's versions. Erasing the memory's last version erases
 * them (trigger), and so does deleting the entity (cascade). Call inside a transaction.
 */

/** Replaces the entities a memory names; the memory and every entity must share one exact scope. */
export function setMentions(db: Database, memoryId: string, entityIds: readonly string[]): void {
  const memory = db
    .prepare('SELECT json_array(user_id, agent_id, run_id) FROM memories WHERE id = ? ORDER BY version DESC LIMIT 1')
    .pluck()
    .get(memoryId) as string | undefined;
  if (memory === undefined) throw new EngramError('INVALID_INPUT', `cannot record what memory ${memoryId} names: no such memory`);
  const ids = JSON.stringify([...new Set(entityIds)]);
  const scopes = new Map(
    (db.prepare('SELECT id, scope_key FROM entities WHERE id IN (SELECT value FROM json_each(?))').all(ids) as { id: string; scope_key: string }[]).map((r) => [
      r.id,
      r.scope_key,
    ]),
  );
  for (const id of entityIds) {
    const scope = scopes.get(id);
    if (scope === undefined) throw new EngramError('INVALID_INPUT', `memory ${memoryId} cannot name entity ${id}: no such entity`);
    if (scope !== memory) throw new EngramError('INVALID_INPUT', `memory ${memoryId} cannot name entity ${id}: it belongs to another scope`);
  }
  db.prepare('DELETE FROM memory_entities WHERE memory_id = ?').run(memoryId);
  db.prepare('INSERT INTO memory_entities (memory_id, entity_id) SELECT ?, value FROM json_each(?)').run(memoryId, ids);
}

/** The entities each of these memories names (memories naming none are left out). */
export function mentionsOf(db: Database, memoryIds: readonly string[]): Map<string, string[]> {
  const named = new Map<string, string[]>();
  if (memoryIds.length === 0) return named;
  const rows = db
    .prepare('SELECT memory_id, entity_id FROM memory_entities WHERE memory_id IN (SELECT value FROM json_each(?)) ORDER BY memory_id, entity_id')
    .all(JSON.stringify(memoryIds)) as { memory_id: string; entity_id: string }[];
  for (const row of rows) {
    const list = named.get(row.memory_id);
    if (list) list.push(row.entity_id);
    else named.set(row.memory_id, [row.entity_id]);
  }
  return named;
}

/** Current memories naming any of these entities, with how many of them each names: most first, then by memory id. */
export function mentionCounts(db: Database, entityIds: readonly string[]): Map<string, number> {
  if (entityIds.length === 0) return new Map();
  const rows = db
    .prepare(
      `SELECT me.entity_id AS entityId, count(*) AS count FROM memory_entities me
       WHERE me.entity_id IN (SELECT value FROM json_each(?))
         AND EXISTS (SELECT 1 FROM memories m WHERE m.id = me.memory_id AND m.valid_to IS NULL AND ${notExpired('m')})
       GROUP BY me.entity_id`,
    )
    .all(JSON.stringify([...new Set(entityIds)]), Date.now()) as { entityId: string; count: number }[];
  return new Map(rows.map((r) => [r.entityId, r.count]));
}

export function memoriesMentioning(db: Database, entityIds: readonly string[], limit: number): { memoryId: string; count: number }[] {
  if (entityIds.length === 0 || limit <= 0) return [];
  return db
    .prepare(
      `SELECT me.memory_id AS memoryId, count(*) AS count FROM memory_entities me
       WHERE me.entity_id IN (SELECT value FROM json_each(?))
         AND EXISTS (SELECT 1 FROM memories m WHERE m.id = me.memory_id AND m.valid_to IS NULL AND ${notExpired('m')})
       GROUP BY me.memory_id
       ORDER BY count DESC, me.memory_id
       LIMIT ?`,
    )
    .all(JSON.stringify(entityIds), Date.now(), limit) as { memoryId: string; count: number }[];
}

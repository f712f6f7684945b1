import type { Database } from './database.js';
import { scopeWhere, type ScopeColumns } from './scope-sql.js';
import { deleteVectors } from './vectors.js';
import type { ErasedCounts } from '../storage/storage.js';

/**
 * Memories that ended by expiring: the latest version's expiry has passed and
 * it was not deleted before (a version closed by a re-added twin ends at its
 * expiry, so it counts). Oldest expiry first.
 */
export function expiredMemoryIds(db: Database, now: number, scope?: ScopeColumns): string[] {
  const where = scope ? scopeWhere(scope, 'm') : { sql: '1', params: [] };
  return db
    .prepare(
      `SELECT m.id FROM memories m
       WHERE m.expires_at IS NOT NULL AND m.expires_at <= ? AND (m.valid_to IS NULL OR m.valid_to >= m.expires_at)
         AND m.version = (SELECT max(v.version) FROM memories v WHERE v.id = m.id) AND ${where.sql}
       ORDER BY m.expires_at, m.id`,
    )
    .pluck()
    .all(now, ...where.params) as string[];
}

/**
 * Erases memories for good, like forgetting their scope would: every
 * version with its vector and keyword entry (by trigger), their history and
 * mentions, the relations they stated, the entities they named that now name
 * nothing else, and the logged messages only they cited (a message another
 * memory, a relation or an unfinished or failed job still cites stays: it is
 * theirs too). Call inside a write transaction.
 */
export function eraseMemories(db: Database, ids: readonly string[]): ErasedCounts {
  const wanted = JSON.stringify([...new Set(ids)]);
  const rows = db.prepare('SELECT m.seq, m.id, m.user_id, m.agent_id, m.run_id FROM json_each(?) AS w JOIN memories m ON m.id = w.value').all(wanted) as (ScopeRow & { seq: number; id: string })[];
  if (rows.length === 0) return { memories: 0, messages: 0, entities: 0, relations: 0 };
  const cited = db
    .prepare(
      `SELECT DISTINCT cast(s.value AS INTEGER) FROM json_each(?) AS w JOIN memories m ON m.id = w.value
       JOIN json_each(CASE WHEN json_type(m.source, '$.messageIds') = 'array' THEN json_extract(m.source, '$.messageIds') ELSE '[]' END) AS s
       WHERE json_valid(m.source) AND s.type = 'integer'`,
    )
    .pluck()
    .all(wanted) as number[];
  const named = db.prepare('SELECT DISTINCT entity_id FROM json_each(?) AS w JOIN memory_entities me ON me.memory_id = w.value').pluck().all(wanted) as string[];

  const relations = db.prepare('DELETE FROM relations WHERE memory_id IN (SELECT value FROM json_each(?))').run(wanted).changes;
  db.prepare('DELETE FROM memory_entities WHERE memory_id IN (SELECT value FROM json_each(?))').run(wanted);
  db.prepare('DELETE FROM history WHERE memory_id IN (SELECT value FROM json_each(?))').run(wanted);
  deleteVectors(
    db,
    rows.map((r) => r.seq),
  );
  db.prepare('DELETE FROM memories WHERE id IN (SELECT value FROM json_each(?))').run(wanted);
  const entities = db
    .prepare(
      `DELETE FROM entities WHERE id IN (SELECT value FROM json_each(?))
         AND NOT EXISTS (SELECT 1 FROM memory_entities me WHERE me.entity_id = entities.id)
         AND NOT EXISTS (SELECT 1 FROM relations r WHERE r.source_id = entities.id OR r.target_id = entities.id)`,
    )
    .run(JSON.stringify(named)).changes;
  const stillCited = citedInScopes(db, rows);
  const remove = db.prepare('DELETE FROM messages WHERE id = ?');
  let messages = 0;
  for (const id of cited) if (!stillCited.has(id)) messages += remove.run(id).changes;
  return { memories: new Set(rows.map((r) => r.id)).size, messages, entities, relations };
}

type ScopeRow = { user_id: string | null; agent_id: string | null; run_id: string | null };

/**
 * Messages the records left in these rows' scopes still cite: memories'
 * sources, relations, and jobs that may still read them. A message is only
 * ever cited from its own exact scope, so the scopes of the erased rows hold
 * every citation that matters.
 */
function citedInScopes(db: Database, rows: readonly ScopeRow[]): Set<number> {
  const cited = new Set<number>();
  const scopes = new Map(rows.map((r) => [JSON.stringify([r.user_id, r.agent_id, r.run_id]), r]));
  for (const row of scopes.values()) {
    const scope: ScopeColumns = { user_id: row.user_id ?? undefined, agent_id: row.agent_id ?? undefined, run_id: row.run_id ?? undefined };
    const lists: string[] = [];
    const m = scopeWhere(scope, 'm');
    // Only an array cites (an imported source may hold anything there), as in sourceMessages.
    lists.push(
      ...(db
        .prepare(`SELECT json_extract(m.source, '$.messageIds') FROM memories m WHERE ${m.sql} AND json_valid(m.source) AND json_type(m.source, '$.messageIds') = 'array'`)
        .pluck()
        .all(...m.params) as string[]),
    );
    const r = scopeWhere(scope, 'r');
    lists.push(...(db.prepare(`SELECT r.message_ids FROM relations r WHERE ${r.sql}`).pluck().all(...r.params) as string[]));
    const j = scopeWhere(scope, 'j');
    lists.push(...(db.prepare(`SELECT j.message_ids FROM jobs j WHERE ${j.sql} AND j.status IN ('queued', 'running', 'failed')`).pluck().all(...j.params) as string[]));
    for (const list of lists) {
      const ids: unknown = JSON.parse(list);
      if (Array.isArray(ids)) for (const id of ids) if (Number.isInteger(id)) cited.add(id as number);
    }
  }
  return cited;
}

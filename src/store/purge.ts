import type { Database } from './database.js';
import { scopeWhere, type ScopeColumns } from './scope-sql.js';
import { deleteVectors } from './vectors.js';
import { purgeJobs } from './jobs.js';
import { scopeOfRow } from '../scope.js';

export type PurgeCounts = { memories: number; messages: number; jobs: number; entities: number; relations: number };

/**
 * The right to be forgotten: removes every version of every memory in the
 * scope, with its vectors, full-text entries and mentions (by trigger) and
 * history, and the scope's logged messages, queued jobs, and entity graph.
 * Call inside a write transaction.
 */
export function purgeScope(db: Database, scope: ScopeColumns): PurgeCounts {
  const where = scopeWhere(scope, 'm');
  const rows = db.prepare(`SELECT m.seq, m.id FROM memories m WHERE ${where.sql}`).all(...where.params) as { seq: number; id: string }[];
  deleteVectors(
    db,
    rows.map((r) => r.seq),
  );
  const ids = [...new Set(rows.map((r) => r.id))];
  const removeHistory = db.prepare('DELETE FROM history WHERE memory_id = ?');
  for (const id of ids) removeHistory.run(id);
  db.prepare(`DELETE FROM memories AS m WHERE ${where.sql}`).run(...where.params);
  const messages = scopeWhere(scope, 'messages');
  const removed = db.prepare(`DELETE FROM messages WHERE ${messages.sql}`).run(...messages.params);
  const jobs = purgeJobs(db, scopeOfRow({ user_id: scope.user_id ?? null, agent_id: scope.agent_id ?? null, run_id: scope.run_id ?? null }));
  // Relations first: they hold their entities by foreign key (and share their exact scope, so none is left pointing here).
  const relations = scopeWhere(scope, 'relations');
  const removedRelations = db.prepare(`DELETE FROM relations WHERE ${relations.sql}`).run(...relations.params).changes;
  const entities = scopeWhere(scope, 'entities');
  const removedEntities = db.prepare(`DELETE FROM entities WHERE ${entities.sql}`).run(...entities.params).changes;
  const policies = scopeWhere(scope, 'policies');
  db.prepare(`DELETE FROM policies WHERE ${policies.sql}`).run(...policies.params);
  return { memories: ids.length, messages: removed.changes, jobs, entities: removedEntities, relations: removedRelations };
}

/** Empties every record table (reset); keeps the schema and the embedding binding. */
export function clearAll(db: Database): void {
  db.exec(
    'DELETE FROM history; DELETE FROM memory_vectors; DELETE FROM memories; DELETE FROM messages; DELETE FROM jobs; ' +
      'DELETE FROM memory_entities; DELETE FROM relations; DELETE FROM entities; DELETE FROM policies;',
  );
}

import type { Database } from './database.js';
import { scopeWhere, type ScopeColumns } from './scope-sql.js';
import { deleteVectors } from './vectors.js';
import { purgeJobs } from './jobs.js';
import { scopeOfRow } from '../scope.js';

/**
 * The right to be forgotten: removes every version of every memory in the
 * scope, with its vectors, full-text entries (by trigger) and history, and the
 * scope's logged messages and queued jobs. Call inside a write transaction.
 */
export function purgeScope(db: Database, scope: ScopeColumns): { memories: number; messages: number; jobs: number } {
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
  return { memories: ids.length, messages: removed.changes, jobs };
}

import type { Scope } from '../../schema.js';
import { purgeEntities } from './entities.js';
import { purgeJobs } from './jobs.js';
import { purgeMentions } from './mentions.js';
import { purgePolicies } from './policies.js';
import { purgeRelations } from './relations.js';
import { scopeWhere } from './scope-sql.js';
import type { SqlQueryable } from './sql-client.js';
import { SqlParams } from './sql-params.js';

export type PurgeCounts = { memories: number; messages: number; jobs: number; entities: number; relations: number };

/**
 * The right to be forgotten: every version of every memory in the scope (and
 * everything under it), their history and mentions, and the scope's logged
 * messages, jobs (whatever their status), entities and relations. A relation
 * of another scope keeps no pointer to a purged memory.
 */
export async function purgeScope(sql: SqlQueryable, scope: Scope): Promise<PurgeCounts> {
  const p = new SqlParams();
  const where = scopeWhere(scope, 'm', p);
  const removed = await sql.query<{ id: string }>(
    `WITH gone AS (DELETE FROM memories m WHERE ${where} RETURNING m.id),
          ids AS (SELECT DISTINCT id FROM gone),
          h AS (DELETE FROM history WHERE memory_id IN (SELECT id FROM ids))
     SELECT id FROM ids`,
    p.values,
  );
  const memoryIds = removed.map((row) => row.id);
  const mp = new SqlParams();
  const messages = await sql.query<{ n: number | string }>(
    `WITH gone AS (DELETE FROM messages m WHERE ${scopeWhere(scope, 'm', mp)} RETURNING 1) SELECT count(*) AS n FROM gone`,
    mp.values,
  );
  const jobs = await purgeJobs(sql, scope);
  await purgeMentions(sql, memoryIds);
  // Relations first: they point to the entities.
  const relations = await purgeRelations(sql, scope, memoryIds);
  const entities = await purgeEntities(sql, scope);
  await purgePolicies(sql, scope);
  return { memories: memoryIds.length, messages: Number(messages[0]?.n ?? 0), jobs, entities, relations };
}

/** Every record of every table; the schema and the embedding binding stay. */
export async function clearAll(sql: SqlQueryable): Promise<void> {
  await sql.exec(
    'DELETE FROM memory_entities; DELETE FROM relations; DELETE FROM entities; DELETE FROM history; DELETE FROM memories; DELETE FROM messages; DELETE FROM jobs; DELETE FROM policies;',
  );
}

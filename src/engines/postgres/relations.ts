import type { Scope } from '../../schema.js';
import { scopeKey, scopeOfRow } from '../../scope.js';
import type { RelationQuery, RelationRecord } from '../../storage/graph-records.js';
import { json, num } from './rows.js';
import { scopeWhere } from './scope-sql.js';
import type { SqlQueryable } from './sql-client.js';
import { SqlParams } from './sql-params.js';

/** The relations table (see storage/graph-records.ts), as the drivers return its rows. */
export type RelationRow = {
  id: string;
  user_id: string | null;
  agent_id: string | null;
  run_id: string | null;
  source_id: string;
  relation: string;
  target_id: string;
  valid_from: number | string;
  valid_to: number | string | null;
  recorded_at: number | string;
  retired_at: number | string | null;
  memory_id: string | null;
  message_ids: unknown;
};

const COLUMNS = [
  'id',
  'user_id',
  'agent_id',
  'run_id',
  'source_id',
  'relation',
  'target_id',
  'valid_from',
  'valid_to',
  'recorded_at',
  'retired_at',
  'memory_id',
  'message_ids',
]
  .map((column) => `r.${column}`)
  .join(', ');

/**
 * Relations of a scope and everything under it, oldest first (recorded_at,
 * then insertion). Default: the current ones (not retired); `at`: those true
 * then in the world (valid time only, retired since or not); `includeRetired`: all.
 */
export async function relationsOf(sql: SqlQueryable, scope: Scope, query: RelationQuery): Promise<RelationRecord[]> {
  const p = new SqlParams();
  const where = [scopeWhere(scope, 'r', p)];
  if (query.entityId !== undefined) {
    const entity = p.add(query.entityId);
    where.push(`(r.source_id = ${entity} OR r.target_id = ${entity})`);
  }
  if (query.memoryId !== undefined) where.push(`r.memory_id = ${p.add(query.memoryId)}`);
  if (query.includeRetired !== true) {
    if (query.at === undefined) where.push('r.retired_at IS NULL');
    else {
      const at = p.add(Math.trunc(query.at));
      where.push(`r.valid_from <= ${at}::bigint AND (r.valid_to IS NULL OR r.valid_to > ${at}::bigint)`);
    }
  }
  const rows = await sql.query<RelationRow>(`SELECT ${COLUMNS} FROM relations r WHERE ${where.join(' AND ')} ORDER BY r.recorded_at, r.seq`, p.values);
  return rows.map(toRelationRecord);
}

/**
 * Stores a relation; throws unless both entities exist in exactly its scope
 * (the foreign keys on (entity, exact scope) refuse it too: this says why).
 */
export async function insertRelation(sql: SqlQueryable, relation: RelationRecord): Promise<void> {
  const key = scopeKey(relation.scope);
  const found = await sql.query<{ id: string }>('SELECT id FROM entities WHERE id = ANY($1::text[]) AND scope_key = $2', [[relation.sourceId, relation.targetId], key]);
  for (const id of [relation.sourceId, relation.targetId]) {
    if (!found.some((row) => row.id === id)) throw new Error(`relation ${relation.id} links entity ${id}, which does not exist in the relation's exact scope`);
  }
  await sql.query(
    `INSERT INTO relations (id, scope_key, user_id, agent_id, run_id, source_id, relation, target_id, valid_from, valid_to, recorded_at, retired_at, memory_id, message_ids)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::text::jsonb)`,
    [
      relation.id,
      key,
      relation.scope.userId ?? null,
      relation.scope.agentId ?? null,
      relation.scope.runId ?? null,
      relation.sourceId,
      relation.relation,
      relation.targetId,
      relation.validFrom,
      relation.validTo,
      relation.recordedAt,
      relation.retiredAt,
      relation.memoryId,
      JSON.stringify(relation.messageIds),
    ],
  );
}

/**
 * Retires a current relation: retired_at = at, and valid_to = validTo when it
 * was still true. Like a memory's close, neither end goes before its start
 * (a contradiction dated before the fact began ends it where it began).
 * Whether it was current.
 */
export async function retireRelation(sql: SqlQueryable, id: string, at: number, validTo: number): Promise<boolean> {
  const rows = await sql.query(
    `UPDATE relations SET retired_at = greatest($2::bigint, recorded_at), valid_to = coalesce(valid_to, greatest($3::bigint, valid_from))
     WHERE id = $1 AND retired_at IS NULL RETURNING 1`,
    [id, at, validTo],
  );
  return rows.length > 0;
}

/**
 * Removes the relations of a scope (and everything under it), and forgets the
 * purged memories in the relations of other scopes that named them; how many
 * relations went.
 */
export async function purgeRelations(sql: SqlQueryable, scope: Scope, purgedMemoryIds: readonly string[]): Promise<number> {
  const p = new SqlParams();
  const rows = await sql.query<{ n: number | string }>(
    `WITH gone AS (DELETE FROM relations r WHERE ${scopeWhere(scope, 'r', p)} RETURNING 1) SELECT count(*) AS n FROM gone`,
    p.values,
  );
  if (purgedMemoryIds.length > 0) await sql.query('UPDATE relations SET memory_id = NULL WHERE memory_id = ANY($1::text[])', [[...purgedMemoryIds]]);
  return num(rows[0]?.n ?? 0);
}

export function toRelationRecord(row: RelationRow): RelationRecord {
  return {
    id: row.id,
    scope: scopeOfRow(row),
    sourceId: row.source_id,
    relation: row.relation,
    targetId: row.target_id,
    validFrom: num(row.valid_from),
    validTo: row.valid_to === null ? null : num(row.valid_to),
    recordedAt: num(row.recorded_at),
    retiredAt: row.retired_at === null ? null : num(row.retired_at),
    memoryId: row.memory_id,
    messageIds: json<number[]>(row.message_ids),
  };
}

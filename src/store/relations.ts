import { EngramError } from '../errors.js';
import type { Scope } from '../schema.js';
import { scopeOfRow } from '../scope.js';
import type { RelationQuery, RelationRecord } from '../storage/graph-records.js';
import type { Database } from './database.js';
import { scopeColumns, scopeKeySql, scopeWhere } from './scope-sql.js';

/** The entity graph's relations (see storage/graph-records.ts). Call inside a transaction. */

export type RelationRow = {
  id: string;
  user_id: string | null;
  agent_id: string | null;
  run_id: string | null;
  source_id: string;
  relation: string;
  target_id: string;
  valid_from: number;
  valid_to: number | null;
  recorded_at: number;
  retired_at: number | null;
  memory_id: string | null;
  message_ids: string;
};

/**
 * Relations of a scope and everything under it, oldest first (recorded_at, then insertion):
 * current ones; those true at `at` (valid time only, retired since or not); or all of them.
 */
export function listRelations(db: Database, scope: Scope, query: RelationQuery = {}): RelationRecord[] {
  const where = scopeWhere(scopeColumns(scope), 'r');
  const clauses = [where.sql];
  const params: unknown[] = [...where.params];
  if (query.entityId !== undefined) {
    clauses.push('(r.source_id = ? OR r.target_id = ?)');
    params.push(query.entityId, query.entityId);
  }
  if (query.memoryId !== undefined) {
    clauses.push('r.memory_id = ?');
    params.push(query.memoryId);
  }
  if (query.includeRetired !== true) {
    if (query.at === undefined) clauses.push('r.retired_at IS NULL');
    else {
      clauses.push('r.valid_from <= ? AND (r.valid_to IS NULL OR r.valid_to > ?)');
      params.push(query.at, query.at);
    }
  }
  const rows = db.prepare(`SELECT r.* FROM relations r WHERE ${clauses.join(' AND ')} ORDER BY r.recorded_at, r.seq`).all(...params) as RelationRow[];
  return rows.map(toRelationRecord);
}

/** Stores a new relation; both its entities must exist and belong to its exact scope. */
export function insertRelation(db: Database, relation: RelationRecord): void {
  const columns = scopeColumns(relation.scope);
  const key = scopeKeySql(columns);
  if (relation.sourceId === relation.targetId) throw new EngramError('INVALID_INPUT', `relation ${relation.id} links entity ${relation.sourceId} to itself`);
  const inScope = new Map(
    (
      db.prepare(`SELECT id, scope_key = ${key.sql} AS same FROM entities WHERE id IN (?, ?)`).all(...key.params, relation.sourceId, relation.targetId) as {
        id: string;
        same: number;
      }[]
    ).map((r) => [r.id, r.same === 1]),
  );
  for (const id of [relation.sourceId, relation.targetId]) {
    const same = inScope.get(id);
    if (same === undefined) throw new EngramError('INVALID_INPUT', `relation ${relation.id} links entity ${id}, which does not exist`);
    if (!same) throw new EngramError('INVALID_INPUT', `relation ${relation.id} links entity ${id} of another scope (a relation and its entities share one exact scope)`);
  }
  db.prepare(
    `INSERT INTO relations (id, scope_key, user_id, agent_id, run_id, source_id, relation, target_id, valid_from, valid_to, recorded_at, retired_at, memory_id, message_ids)
     VALUES (?, ${key.sql}, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    relation.id,
    ...key.params,
    ...key.params,
    relation.sourceId,
    relation.relation,
    relation.targetId,
    relation.validFrom,
    relation.validTo,
    relation.recordedAt,
    relation.retiredAt,
    relation.memoryId,
    JSON.stringify(relation.messageIds),
  );
}

/**
 * Retires a current relation at `at`; one still true (valid_to NULL) stops being true at `validTo`, when given.
 * Neither end precedes its start (as closeMemory): a relation is never retired before it was recorded.
 */
export function retireRelation(db: Database, id: string, at: number, validTo: number | undefined): boolean {
  return (
    db
      .prepare(
        `UPDATE relations SET retired_at = max(?, recorded_at),
           valid_to = CASE WHEN valid_to IS NULL AND ? IS NOT NULL THEN max(?, valid_from) ELSE valid_to END
         WHERE id = ? AND retired_at IS NULL`,
      )
      .run(at, validTo ?? null, validTo ?? null, id).changes > 0
  );
}

export function toRelationRecord(row: RelationRow): RelationRecord {
  return {
    id: row.id,
    scope: scopeOfRow(row),
    sourceId: row.source_id,
    relation: row.relation,
    targetId: row.target_id,
    validFrom: row.valid_from,
    validTo: row.valid_to,
    recordedAt: row.recorded_at,
    retiredAt: row.retired_at,
    memoryId: row.memory_id,
    messageIds: JSON.parse(row.message_ids) as number[],
  };
}

import { EngramError } from '../errors.js';
import type { Scope } from '../schema.js';
import { scopeOfRow } from '../scope.js';
import type { EntityChange, EntityRecord } from '../storage/graph-records.js';
import type { Database } from './database.js';
import { META_KEYS, readMeta } from './meta.js';
import { scopeColumns, scopeKeySql, scopeWhere } from './scope-sql.js';
import { vectorBlob } from './vectors.js';

/** The entity graph's entities (see storage/graph-records.ts). Call inside a transaction. */

type EntityRow = {
  id: string;
  user_id: string | null;
  agent_id: string | null;
  run_id: string | null;
  name: string;
  key: string;
  type: EntityRecord['type'];
  aliases: string;
  embedding: Buffer;
  created_at: number;
  updated_at: number;
};

const COLUMNS = 'e.id, e.user_id, e.agent_id, e.run_id, e.name, e.key, e.type, e.aliases, e.embedding, e.created_at, e.updated_at';

/** Entities of a scope and everything under it (`exactScope`: of exactly this scope), oldest first. */
export function listEntities(db: Database, scope: Scope, exactScope: boolean): EntityRecord[] {
  const where = exactScope ? exactScopeWhere(scope, 'e') : scopeWhere(scopeColumns(scope), 'e');
  const rows = db.prepare(`SELECT ${COLUMNS} FROM entities e WHERE ${where.sql} ORDER BY e.created_at, e.seq`).all(...where.params) as EntityRow[];
  return rows.map(toEntityRecord);
}

/** Entities with these ids; missing ids are skipped. */
export function entitiesById(db: Database, ids: readonly string[]): EntityRecord[] {
  if (ids.length === 0) return [];
  const rows = db.prepare(`SELECT ${COLUMNS} FROM entities e WHERE e.id IN (SELECT value FROM json_each(?)) ORDER BY e.seq`).all(JSON.stringify(ids)) as EntityRow[];
  return rows.map(toEntityRecord);
}

/** Stores a new entity; the UNIQUE constraints refuse a taken id, or a taken key in its exact scope. */
export function insertEntity(db: Database, entity: EntityRecord): void {
  assertEntityVector(db, entity.id, entity.embedding);
  const columns = scopeColumns(entity.scope);
  const key = scopeKeySql(columns);
  db.prepare(
    `INSERT INTO entities (id, scope_key, user_id, agent_id, run_id, name, key, type, aliases, embedding, created_at, updated_at)
     VALUES (?, ${key.sql}, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    entity.id,
    ...key.params,
    ...key.params,
    entity.name,
    entity.key,
    entity.type,
    JSON.stringify(entity.aliases),
    vectorBlob(entity.embedding),
    entity.createdAt,
    entity.updatedAt,
  );
}

export function updateEntity(db: Database, id: string, change: EntityChange): void {
  const sets = ['updated_at = ?'];
  const params: unknown[] = [change.updatedAt];
  if (change.name !== undefined) {
    // A reindex's vector was computed from the old name.
    sets.push('name = ?', 'reindex_name = NULL', 'reindex_embedding = NULL');
    params.push(change.name);
  }
  if (change.key !== undefined) {
    sets.push('key = ?');
    params.push(change.key);
  }
  if (change.type !== undefined) {
    sets.push('type = ?');
    params.push(change.type);
  }
  if (change.aliases !== undefined) {
    sets.push('aliases = ?');
    params.push(JSON.stringify(change.aliases));
  }
  if (change.embedding !== undefined) {
    assertEntityVector(db, id, change.embedding);
    sets.push('embedding = ?');
    params.push(vectorBlob(change.embedding));
  }
  db.prepare(`UPDATE entities SET ${sets.join(', ')} WHERE id = ?`).run(...params, id);
}

/**
 * Merges entity `id` into `into` (same exact scope): relations that would link
 * `into` to itself go, the others and the mentions move, and `id` is deleted.
 */
export function mergeEntity(db: Database, id: string, into: string): void {
  if (id === into) throw new EngramError('INVALID_INPUT', `entity ${id} cannot be merged into itself`);
  const scopes = new Map(
    (db.prepare('SELECT id, scope_key FROM entities WHERE id IN (?, ?)').all(id, into) as { id: string; scope_key: string }[]).map((r) => [r.id, r.scope_key]),
  );
  for (const which of [id, into]) if (!scopes.has(which)) throw new EngramError('INVALID_INPUT', `cannot merge entity ${id} into ${into}: entity ${which} does not exist`);
  if (scopes.get(id) !== scopes.get(into)) throw new EngramError('INVALID_INPUT', `cannot merge entity ${id} into ${into}: they belong to different scopes`);
  db.prepare('DELETE FROM relations WHERE (source_id = ? AND target_id = ?) OR (source_id = ? AND target_id = ?)').run(id, into, into, id);
  db.prepare('UPDATE relations SET source_id = ? WHERE source_id = ?').run(into, id);
  db.prepare('UPDATE relations SET target_id = ? WHERE target_id = ?').run(into, id);
  db.prepare('INSERT OR IGNORE INTO memory_entities (memory_id, entity_id) SELECT memory_id, ? FROM memory_entities WHERE entity_id = ?').run(into, id);
  // Its own mentions go by cascade.
  db.prepare('DELETE FROM entities WHERE id = ?').run(id);
}

/** SQL selecting the rows of `table` of exactly this scope, by their scope key. */
export function exactScopeWhere(scope: Scope, table: string): { sql: string; params: (string | null)[] } {
  const key = scopeKeySql(scopeColumns(scope));
  return { sql: `${table}.scope_key = ${key.sql}`, params: key.params };
}

/** An entity's vector is one of the store's model: as many values as its dimension. */
function assertEntityVector(db: Database, id: string, embedding: Float32Array): void {
  const dimension = Number(readMeta(db, META_KEYS.embeddingDimension) ?? 0);
  if (embedding.length !== dimension) {
    throw new EngramError(
      'EMBEDDING_MISMATCH',
      dimension === 0
        ? `entity ${id} has a vector, but this store is bound to no embedding model yet`
        : `entity ${id}'s vector has ${embedding.length} dimensions; this store's embedding model has ${dimension}`,
    );
  }
}

function toEntityRecord(row: EntityRow): EntityRecord {
  return {
    id: row.id,
    scope: scopeOfRow(row),
    name: row.name,
    key: row.key,
    type: row.type,
    aliases: JSON.parse(row.aliases) as string[],
    embedding: new Float32Array(row.embedding.buffer.slice(row.embedding.byteOffset, row.embedding.byteOffset + row.embedding.byteLength)),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

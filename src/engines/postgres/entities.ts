import type { Scope } from '../../schema.js';
import { scopeKey, scopeOfRow } from '../../scope.js';
import type { EntityChange, EntityRecord, EntityType } from '../../storage/graph-records.js';
import { json, num, vectorText } from './rows.js';
import { scopeWhere } from './scope-sql.js';
import type { SqlQueryable } from './sql-client.js';
import { SqlParams } from './sql-params.js';

/** The entities table (see storage/graph-records.ts), as the drivers return its rows; the vector comes as pgvector's text. */
type EntityRow = {
  id: string;
  user_id: string | null;
  agent_id: string | null;
  run_id: string | null;
  name: string;
  key: string;
  type: EntityType;
  aliases: unknown;
  embedding: string | null;
  created_at: number | string;
  updated_at: number | string;
};

const COLUMNS = ['id', 'user_id', 'agent_id', 'run_id', 'name', 'key', 'type', 'aliases', 'created_at', 'updated_at']
  .map((column) => `e.${column}`)
  .concat('e.embedding::text AS embedding')
  .join(', ');

/** Entities of a scope and everything under it (or of exactly this scope), oldest first. */
export async function entitiesOf(sql: SqlQueryable, scope: Scope, exactScope: boolean): Promise<EntityRecord[]> {
  const p = new SqlParams();
  const where = exactScope ? `e.scope_key = ${p.add(scopeKey(scope))}` : scopeWhere(scope, 'e', p);
  const rows = await sql.query<EntityRow>(`SELECT ${COLUMNS} FROM entities e WHERE ${where} ORDER BY e.created_at, e.seq`, p.values);
  return rows.map(toEntityRecord);
}

export async function entitiesById(sql: SqlQueryable, ids: readonly string[]): Promise<EntityRecord[]> {
  if (ids.length === 0) return [];
  const rows = await sql.query<EntityRow>(`SELECT ${COLUMNS} FROM entities e WHERE e.id = ANY($1::text[])`, [[...ids]]);
  return rows.map(toEntityRecord);
}

/** Fails (unique violation) when the id, or the key in the exact scope, is taken. */
export async function insertEntity(sql: SqlQueryable, entity: EntityRecord): Promise<void> {
  await sql.query(
    `INSERT INTO entities (id, scope_key, user_id, agent_id, run_id, name, key, type, aliases, embedding, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text::jsonb, $10::text::vector, $11, $12)`,
    [
      entity.id,
      scopeKey(entity.scope),
      entity.scope.userId ?? null,
      entity.scope.agentId ?? null,
      entity.scope.runId ?? null,
      entity.name,
      entity.key,
      entity.type,
      JSON.stringify(entity.aliases),
      vectorText(entity.embedding),
      entity.createdAt,
      entity.updatedAt,
    ],
  );
}

/** Sets the fields present in `change`, and only those. */
export async function updateEntity(sql: SqlQueryable, id: string, change: EntityChange): Promise<void> {
  const p = new SqlParams();
  const sets = [`updated_at = ${p.add(change.updatedAt)}`];
  if (change.name !== undefined) sets.push(`name = ${p.add(change.name)}`);
  if (change.key !== undefined) sets.push(`key = ${p.add(change.key)}`);
  if (change.type !== undefined) sets.push(`type = ${p.add(change.type)}`);
  if (change.aliases !== undefined) sets.push(`aliases = ${p.add(JSON.stringify(change.aliases))}::text::jsonb`);
  if (change.embedding !== undefined) sets.push(`embedding = ${p.add(vectorText(change.embedding))}::text::vector`);
  await sql.query(`UPDATE entities SET ${sets.join(', ')} WHERE id = ${p.add(id)}`, p.values);
}

/**
 * Merges entity `id` into `into` (same exact scope): relations that would
 * link `into` to itself go, the others and the mentions move, then `id` goes.
 */
export async function mergeEntity(sql: SqlQueryable, id: string, into: string): Promise<void> {
  if (id === into) throw new Error(`entity ${id} cannot be merged into itself`);
  const rows = await sql.query<{ id: string; scope_key: string }>('SELECT id, scope_key FROM entities WHERE id = ANY($1::text[]) FOR UPDATE', [[id, into]]);
  const keyOf = (wanted: string) => rows.find((row) => row.id === wanted)?.scope_key;
  if (keyOf(id) === undefined || keyOf(into) === undefined) throw new Error(`cannot merge entity ${id} into ${into}: ${keyOf(id) === undefined ? id : into} does not exist`);
  if (keyOf(id) !== keyOf(into)) throw new Error(`cannot merge entity ${id} into ${into}: they belong to different scopes`);
  await sql.query(
    `DELETE FROM relations WHERE (source_id = $1 AND target_id = $2) OR (source_id = $2 AND target_id = $1)`,
    [id, into],
  );
  await sql.query('UPDATE relations SET source_id = $2 WHERE source_id = $1', [id, into]);
  await sql.query('UPDATE relations SET target_id = $2 WHERE target_id = $1', [id, into]);
  await sql.query(
    `INSERT INTO memory_entities (memory_id, entity_id) SELECT memory_id, $2 FROM memory_entities WHERE entity_id = $1 ON CONFLICT DO NOTHING`,
    [id, into],
  );
  // Its own mentions go with it (ON DELETE CASCADE).
  await sql.query('DELETE FROM entities WHERE id = $1', [id]);
}

/** A pgvector value in its text form ('[1,0.5]') as the Float32Array it was stored from (float4 prints in its shortest round-trip form). */
export function parseVector(text: string): Float32Array {
  return Float32Array.from(JSON.parse(text) as number[]);
}

function toEntityRecord(row: EntityRow): EntityRecord {
  return {
    id: row.id,
    scope: scopeOfRow(row),
    name: row.name,
    key: row.key,
    type: row.type,
    aliases: json<string[]>(row.aliases),
    // verify() reports an entity without a vector; a read returns an empty one rather than failing the whole read.
    embedding: row.embedding === null ? new Float32Array(0) : parseVector(row.embedding),
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
  };
}

/** Removes the entities of a scope (and everything under it), their mentions with them; how many. Their relations must be gone first. */
export async function purgeEntities(sql: SqlQueryable, scope: Scope): Promise<number> {
  const p = new SqlParams();
  const rows = await sql.query<{ n: number | string }>(
    `WITH gone AS (DELETE FROM entities e WHERE ${scopeWhere(scope, 'e', p)} RETURNING 1) SELECT count(*) AS n FROM gone`,
    p.values,
  );
  return num(rows[0]?.n ?? 0);
}

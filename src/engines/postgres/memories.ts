import type { FilterNode } from '../../filter.js';
import type { MemoryKind, Scope } from '../../schema.js';
import { compileFilter } from './filter-sql.js';
import { MEMORY_COLUMNS, type MemoryRow, vectorText } from './rows.js';
import { exactScopeWhere, scopeWhere, validityWhere } from './scope-sql.js';
import type { SqlQueryable } from './sql-client.js';
import { SqlParams } from './sql-params.js';

const COLUMNS = MEMORY_COLUMNS('m');

/** The version of a memory a read sees (current, or valid at `at`). */
export async function visibleMemoryById(sql: SqlQueryable, id: string, at: number | undefined): Promise<MemoryRow | undefined> {
  const p = new SqlParams();
  const rows = await sql.query<MemoryRow>(`SELECT ${COLUMNS} FROM memories m WHERE m.id = ${p.add(id)} AND ${validityWhere(at, 'm', p)}`, p.values);
  return rows[0];
}

/** The latest version of a memory, current or closed. */
export async function latestVersionById(sql: SqlQueryable, id: string): Promise<MemoryRow | undefined> {
  const rows = await sql.query<MemoryRow>(`SELECT ${COLUMNS} FROM memories m WHERE m.id = $1 ORDER BY m.version DESC LIMIT 1`, [id]);
  return rows[0];
}

/**
 * The current version, locked until the transaction ends: a concurrent
 * writer changing the same memory waits, and (REPEATABLE READ) this
 * transaction fails with a serialization error to be re-run rather than
 * revising a version that is no longer current.
 */
export async function lockCurrentVersion(sql: SqlQueryable, id: string): Promise<(MemoryRow & { has_vector: boolean }) | undefined> {
  const p = new SqlParams();
  const rows = await sql.query<MemoryRow & { has_vector: boolean }>(
    `SELECT ${COLUMNS}, m.embedding IS NOT NULL AS has_vector FROM memories m WHERE m.id = ${p.add(id)} AND ${validityWhere(undefined, 'm', p)} FOR UPDATE`,
    p.values,
  );
  return rows[0];
}

export async function currentMemoryByHash(sql: SqlQueryable, scope: Scope, hash: string): Promise<MemoryRow | undefined> {
  const p = new SqlParams();
  const rows = await sql.query<MemoryRow>(
    `SELECT ${COLUMNS} FROM memories m WHERE ${exactScopeWhere(scope, 'm', p)} AND m.hash = ${p.add(hash)} AND ${validityWhere(undefined, 'm', p)}`,
    p.values,
  );
  return rows[0];
}

/** The open version (valid_to IS NULL) of exactly this scope with this hash, expired or not: the row the memories_current_hash index allows. */
export async function openVersionByHash(sql: SqlQueryable, scope: Scope, hash: string): Promise<MemoryRow | undefined> {
  const p = new SqlParams();
  const rows = await sql.query<MemoryRow>(
    `SELECT ${COLUMNS} FROM memories m WHERE ${exactScopeWhere(scope, 'm', p)} AND m.hash = ${p.add(hash)} AND m.valid_to IS NULL`,
    p.values,
  );
  return rows[0];
}

/**
 * Closes the version of exactly this scope with this hash that is still open
 * but expired at `now` (it ends where it expired, never before it began),
 * so the text can be stored again; the closed row, if there was one.
 */
export async function closeExpiredVersion(sql: SqlQueryable, scope: Scope, hash: string, now: number): Promise<MemoryRow | undefined> {
  const p = new SqlParams();
  const rows = await sql.query<MemoryRow>(
    `UPDATE memories m SET valid_to = greatest(m.expires_at, m.valid_from)
     WHERE ${exactScopeWhere(scope, 'm', p)} AND m.hash = ${p.add(hash)} AND m.valid_to IS NULL AND m.expires_at <= ${p.add(now)}::bigint
     RETURNING ${COLUMNS}`,
    p.values,
  );
  return rows[0];
}

export type ListQuery = { filter?: FilterNode | undefined; limit: number; offset: number; at?: number | undefined };

/** Visible memories of a scope, newest first (then latest inserted first). */
export function listMemories(sql: SqlQueryable, scope: Scope, query: ListQuery): Promise<MemoryRow[]> {
  const p = new SqlParams();
  const where = [scopeWhere(scope, 'm', p), validityWhere(query.at, 'm', p)];
  if (query.filter) where.push(compileFilter(query.filter, 'm.metadata', p));
  return sql.query<MemoryRow>(
    `SELECT ${COLUMNS} FROM memories m WHERE ${where.join(' AND ')}
     ORDER BY m.created_at DESC, m.seq DESC LIMIT ${p.add(query.limit)} OFFSET ${p.add(query.offset)}`,
    p.values,
  );
}

export async function countMemories(sql: SqlQueryable, scope: Scope, query: Omit<ListQuery, 'limit' | 'offset'>): Promise<number> {
  const p = new SqlParams();
  const where = [scopeWhere(scope, 'm', p), validityWhere(query.at, 'm', p)];
  if (query.filter) where.push(compileFilter(query.filter, 'm.metadata', p));
  const rows = await sql.query<{ n: number | string }>(`SELECT count(*) AS n FROM memories m WHERE ${where.join(' AND ')}`, p.values);
  return Number(rows[0]?.n ?? 0);
}

export async function countCurrent(sql: SqlQueryable, scope: Scope): Promise<number> {
  const p = new SqlParams();
  const rows = await sql.query<{ n: number | string }>(`SELECT count(*) AS n FROM memories m WHERE ${scopeWhere(scope, 'm', p)} AND ${validityWhere(undefined, 'm', p)}`, p.values);
  return Number(rows[0]?.n ?? 0);
}

export async function currentIds(sql: SqlQueryable, scope: Scope): Promise<string[]> {
  const p = new SqlParams();
  const rows = await sql.query<{ id: string }>(`SELECT m.id FROM memories m WHERE ${scopeWhere(scope, 'm', p)} AND ${validityWhere(undefined, 'm', p)} ORDER BY m.seq`, p.values);
  return rows.map((row) => row.id);
}

/**
 * Memories whose latest version expired at or before `now` (and ended by
 * expiring, not by an earlier delete), in a scope or anywhere; oldest expiry first.
 */
export async function expiredMemoryIds(sql: SqlQueryable, now: number, scope: Scope | undefined): Promise<string[]> {
  const p = new SqlParams();
  const where = [
    `m.expires_at <= ${p.add(Math.trunc(now))}::bigint`,
    '(m.valid_to IS NULL OR m.valid_to >= m.expires_at)',
    'NOT EXISTS (SELECT 1 FROM memories later WHERE later.id = m.id AND later.version > m.version)',
  ];
  if (scope !== undefined) where.push(scopeWhere(scope, 'm', p));
  const rows = await sql.query<{ id: string }>(`SELECT m.id FROM memories m WHERE ${where.join(' AND ')} ORDER BY m.expires_at, m.id`, p.values);
  return rows.map((row) => row.id);
}

export type NewVersion = {
  id: string;
  version: number;
  text: string;
  hash: string;
  kind: MemoryKind;
  scope: Scope;
  metadata: unknown;
  createdAt: number;
  updatedAt: number;
  validFrom: number;
  validTo: number | null;
  source: unknown;
  /** When it leaves reads (ms); null: never. */
  expiresAt: number | null;
  /** The vector, or the seq of the version whose vector this one keeps. */
  embedding: Float32Array | { sameAs: number | string };
};

/** Inserts one version; returns its row. */
export async function insertVersion(sql: SqlQueryable, v: NewVersion): Promise<MemoryRow> {
  const p = new SqlParams();
  const embedding =
    v.embedding instanceof Float32Array
      ? `${p.add(vectorText(v.embedding))}::text::vector`
      : `(SELECT prev.embedding FROM memories prev WHERE prev.seq = ${p.add(v.embedding.sameAs)}::bigint)`;
  const values = [
    p.add(v.id),
    p.add(v.version),
    p.add(v.text),
    p.add(v.hash),
    p.add(v.kind),
    p.add(v.scope.userId ?? null),
    p.add(v.scope.agentId ?? null),
    p.add(v.scope.runId ?? null),
    `${p.add(JSON.stringify(v.metadata))}::text::jsonb`,
    p.add(v.createdAt),
    p.add(v.updatedAt),
    p.add(v.validFrom),
    p.add(v.validTo),
    `${p.add(v.source === null || v.source === undefined ? null : JSON.stringify(v.source))}::text::jsonb`,
    p.add(v.expiresAt),
    embedding,
  ];
  const rows = await sql.query<MemoryRow>(
    `INSERT INTO memories AS m (id, version, text, hash, kind, user_id, agent_id, run_id, metadata, created_at, updated_at, valid_from, valid_to, source, expires_at, embedding)
     VALUES (${values.join(', ')}) RETURNING ${COLUMNS}`,
    p.values,
  );
  return rows[0] as MemoryRow;
}

/** Ends a version's validity; the row stays for history and point-in-time reads. */
export async function closeVersion(sql: SqlQueryable, seq: number | string, validTo: number): Promise<void> {
  await sql.query('UPDATE memories SET valid_to = $1 WHERE seq = $2', [validTo, seq]);
}

/** Whether a memory with this id was ever stored. */
export async function hasMemory(sql: SqlQueryable, id: string): Promise<boolean> {
  return (await sql.query('SELECT 1 FROM memories WHERE id = $1 LIMIT 1', [id])).length > 0;
}

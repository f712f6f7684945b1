import type { Database } from './database.js';
import { scopeWhere, type ScopeColumns } from './scope-sql.js';
import type { SqlFragment } from './filter-sql.js';

/** A row of the `memories` table, as SQLite returns it. */
export type MemoryRow = {
  seq: number;
  id: string;
  version: number;
  text: string;
  hash: string;
  kind: 'semantic' | 'episodic' | 'procedural';
  user_id: string | null;
  agent_id: string | null;
  run_id: string | null;
  metadata: string;
  created_at: number;
  updated_at: number;
  valid_from: number;
  valid_to: number | null;
  source: string | null;
  /** When the version leaves reads (see the port's Expiry); null: never. */
  expires_at: number | null;
};

export type NewMemoryRow = Omit<MemoryRow, 'seq' | 'valid_to'>;

/** Which versions a read sees: the current ones (not expired now), or those valid at an instant (ms). */
export type Validity = { at?: number | undefined };

/** SQL selecting the versions of `m` a read sees: current and not expired (now), or valid and not expired at `at`. */
export function validityWhere(validity: Validity, table: string): { sql: string; params: number[] } {
  if (validity.at === undefined) return { sql: `${table}.valid_to IS NULL AND ${notExpired(table)}`, params: [Date.now()] };
  return {
    sql: `${table}.valid_from <= ? AND (${table}.valid_to IS NULL OR ${table}.valid_to > ?) AND ${notExpired(table)}`,
    params: [validity.at, validity.at, validity.at],
  };
}

/** SQL (one parameter: the instant) true while a version of `table` has not expired. */
export function notExpired(table: string): string {
  return `(${table}.expires_at IS NULL OR ${table}.expires_at > ?)`;
}

export function insertMemory(db: Database, row: NewMemoryRow): number {
  const result = db
    .prepare(
      `INSERT INTO memories (id, version, text, hash, kind, user_id, agent_id, run_id, metadata, created_at, updated_at, valid_from, source, expires_at)
       VALUES (@id, @version, @text, @hash, @kind, @user_id, @agent_id, @run_id, @metadata, @created_at, @updated_at, @valid_from, @source, @expires_at)`,
    )
    .run(row);
  return Number(result.lastInsertRowid);
}

/** The latest version of a memory, current or closed. */
export function latestVersionById(db: Database, id: string): MemoryRow | undefined {
  return db.prepare('SELECT * FROM memories WHERE id = ? ORDER BY version DESC LIMIT 1').get(id) as MemoryRow | undefined;
}

/** The version of a memory a read sees (current, or valid at an instant). */
export function visibleMemoryById(db: Database, id: string, validity: Validity): MemoryRow | undefined {
  const valid = validityWhere(validity, 'm');
  return db.prepare(`SELECT * FROM memories m WHERE m.id = ? AND ${valid.sql}`).get(id, ...valid.params) as MemoryRow | undefined;
}

/** The versions of these memories a read sees (current, or valid at an instant), in no particular order. */
export function visibleMemoriesById(db: Database, ids: readonly string[], validity: Validity): MemoryRow[] {
  if (ids.length === 0) return [];
  const valid = validityWhere(validity, 'm');
  return db
    .prepare(`SELECT m.* FROM json_each(?) AS wanted JOIN memories m ON m.id = wanted.value WHERE ${valid.sql}`)
    .all(JSON.stringify(ids), ...valid.params) as MemoryRow[];
}

/** The current version of a memory, unless it expired. */
export function currentMemoryById(db: Database, id: string): MemoryRow | undefined {
  return db.prepare(`SELECT * FROM memories m WHERE m.id = ? AND m.valid_to IS NULL AND ${notExpired('m')}`).get(id, Date.now()) as MemoryRow | undefined;
}

/** The current memory with this text hash in exactly this scope, if any and not expired. */
export function currentMemoryByHash(db: Database, scope: ScopeColumns, hash: string): MemoryRow | undefined {
  const row = openMemoryByHash(db, scope, hash);
  return row && (row.expires_at === null || row.expires_at > Date.now()) ? row : undefined;
}

/** The open version (valid_to NULL, expired or not) with this text hash in exactly this scope: the one the unique index allows. */
export function openMemoryByHash(db: Database, scope: ScopeColumns, hash: string): MemoryRow | undefined {
  // Written exactly as the expressions of the memories_current_hash index, so SQLite uses it (IS ? would scan).
  return db
    .prepare(
      `SELECT * FROM memories m
       WHERE ifnull(m.user_id, '') = ? AND ifnull(m.agent_id, '') = ? AND ifnull(m.run_id, '') = ? AND m.hash = ? AND m.valid_to IS NULL`,
    )
    .get(scope.user_id ?? '', scope.agent_id ?? '', scope.run_id ?? '', hash) as MemoryRow | undefined;
}

/** Visible versions among `seqs` that pass `filter`, in no particular order. */
export function visibleMemoriesBySeq(db: Database, seqs: readonly number[], validity: Validity, filter?: SqlFragment): MemoryRow[] {
  if (seqs.length === 0) return [];
  const valid = validityWhere(validity, 'm');
  const where = filter ? ` AND ${filter.sql}` : '';
  return db
    .prepare(
      `SELECT m.* FROM json_each(?) AS wanted JOIN memories m ON m.seq = wanted.value
       WHERE ${valid.sql}${where}`,
    )
    .all(JSON.stringify(seqs), ...valid.params, ...(filter?.params ?? [])) as MemoryRow[];
}

export type ListQuery = { scope: ScopeColumns; validity: Validity; filter?: SqlFragment | undefined; limit: number; offset: number };

/** Visible memories of a scope, newest first. */
export function listMemories(db: Database, query: ListQuery): MemoryRow[] {
  const scope = scopeWhere(query.scope, 'm');
  const valid = validityWhere(query.validity, 'm');
  const filter = query.filter ? ` AND ${query.filter.sql}` : '';
  return db
    .prepare(
      `SELECT m.* FROM memories m WHERE ${scope.sql} AND ${valid.sql}${filter}
       ORDER BY m.created_at DESC, m.seq DESC LIMIT ? OFFSET ?`,
    )
    .all(...scope.params, ...valid.params, ...(query.filter?.params ?? []), query.limit, query.offset) as MemoryRow[];
}

/** How many memories listMemories would list without its page. */
export function countMemories(db: Database, query: Omit<ListQuery, 'limit' | 'offset'>): number {
  const scope = scopeWhere(query.scope, 'm');
  const valid = validityWhere(query.validity, 'm');
  const filter = query.filter ? ` AND ${query.filter.sql}` : '';
  return db
    .prepare(`SELECT count(*) FROM memories m WHERE ${scope.sql} AND ${valid.sql}${filter}`)
    .pluck()
    .get(...scope.params, ...valid.params, ...(query.filter?.params ?? [])) as number;
}

/** Ends a version's validity; the row stays for history and point-in-time reads. */
export function closeVersion(db: Database, seq: number, validTo: number): void {
  db.prepare('UPDATE memories SET valid_to = ? WHERE seq = ?').run(validTo, seq);
}

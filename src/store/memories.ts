import type { Database } from './database.js';
import { exactScopeWhere, scopeWhere, type ScopeColumns } from './scope-sql.js';
import type { SqlFragment } from './filter-sql.js';

/** A row of the `memories` table, as SQLite returns it. */
export type MemoryRow = {
  seq: number;
  id: string;
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
  superseded_by: string | null;
  source: string | null;
};

export type NewMemoryRow = Omit<MemoryRow, 'seq' | 'valid_to' | 'superseded_by'>;

export function insertMemory(db: Database, row: NewMemoryRow): number {
  const result = db
    .prepare(
      `INSERT INTO memories (id, text, hash, kind, user_id, agent_id, run_id, metadata, created_at, updated_at, valid_from, source)
       VALUES (@id, @text, @hash, @kind, @user_id, @agent_id, @run_id, @metadata, @created_at, @updated_at, @valid_from, @source)`,
    )
    .run(row);
  return Number(result.lastInsertRowid);
}

export function memoryById(db: Database, id: string): MemoryRow | undefined {
  return db.prepare('SELECT * FROM memories WHERE id = ?').get(id) as MemoryRow | undefined;
}

export function currentMemoryById(db: Database, id: string): MemoryRow | undefined {
  return db.prepare('SELECT * FROM memories WHERE id = ? AND valid_to IS NULL').get(id) as MemoryRow | undefined;
}

/** The current memory with this text hash in exactly this scope, if any. */
export function currentMemoryByHash(db: Database, scope: ScopeColumns, hash: string): MemoryRow | undefined {
  const exact = exactScopeWhere(scope, 'm');
  return db
    .prepare(`SELECT * FROM memories m WHERE ${exact.sql} AND m.hash = ? AND m.valid_to IS NULL`)
    .get(...exact.params, hash) as MemoryRow | undefined;
}

/** Current memories among `seqs` that pass `filter`, in no particular order. */
export function currentMemoriesBySeq(db: Database, seqs: readonly number[], filter?: SqlFragment): MemoryRow[] {
  if (seqs.length === 0) return [];
  const where = filter ? ` AND ${filter.sql}` : '';
  return db
    .prepare(
      `SELECT m.* FROM json_each(?) AS wanted JOIN memories m ON m.seq = wanted.value
       WHERE m.valid_to IS NULL${where}`,
    )
    .all(JSON.stringify(seqs), ...(filter?.params ?? [])) as MemoryRow[];
}

export type ListQuery = { scope: ScopeColumns; filter?: SqlFragment | undefined; limit: number; offset: number };

/** Current memories of a scope, newest first. */
export function listCurrentMemories(db: Database, query: ListQuery): MemoryRow[] {
  const scope = scopeWhere(query.scope, 'm');
  const filter = query.filter ? ` AND ${query.filter.sql}` : '';
  return db
    .prepare(
      `SELECT m.* FROM memories m WHERE ${scope.sql} AND m.valid_to IS NULL${filter}
       ORDER BY m.created_at DESC, m.seq DESC LIMIT ? OFFSET ?`,
    )
    .all(...scope.params, ...(query.filter?.params ?? []), query.limit, query.offset) as MemoryRow[];
}

export function updateMemoryContent(
  db: Database,
  seq: number,
  change: { text: string; hash: string; metadata: string; updatedAt: number },
): void {
  db.prepare('UPDATE memories SET text = ?, hash = ?, metadata = ?, updated_at = ? WHERE seq = ?').run(
    change.text,
    change.hash,
    change.metadata,
    change.updatedAt,
    seq,
  );
}

/** Ends a memory's validity; the row stays for history and point-in-time reads. */
export function closeMemory(db: Database, seq: number, validTo: number, supersededBy?: string): void {
  db.prepare('UPDATE memories SET valid_to = ?, updated_at = ?, superseded_by = ? WHERE seq = ?').run(
    validTo,
    validTo,
    supersededBy ?? null,
    seq,
  );
}

import type { Database } from './database.js';
import { bumpSearchEpoch, META_KEYS, readMeta, writeMeta } from './meta.js';
import { createVectorTable, OPEN_END, vectorBlob } from './vectors.js';

const PENDING_MODEL = 'reindex_model';

/**
 * Re-embedding with another model happens beside the live index: new vectors
 * collect in `reindex_vectors` (committed batch by batch, so an interrupted
 * reindex resumes), and one final transaction swaps them in.
 */
export function startReindex(db: Database, modelId: string, dimension: number): void {
  const target = `${modelId}\u0000${dimension}`;
  db.exec('CREATE TABLE IF NOT EXISTS reindex_vectors (seq INTEGER PRIMARY KEY, embedding BLOB NOT NULL)');
  if (readMeta(db, PENDING_MODEL) !== target) {
    db.exec('DELETE FROM reindex_vectors');
    writeMeta(db, PENDING_MODEL, target);
  }
}

/** Memory versions that have no new vector yet, oldest first. */
export function pendingReindex(db: Database, limit: number): { seq: number; text: string }[] {
  return db
    .prepare('SELECT m.seq, m.text FROM memories m WHERE NOT EXISTS (SELECT 1 FROM reindex_vectors r WHERE r.seq = m.seq) ORDER BY m.seq LIMIT ?')
    .all(limit) as { seq: number; text: string }[];
}

export function reindexCounts(db: Database): { done: number; total: number } {
  const total = db.prepare('SELECT count(*) FROM memories').pluck().get() as number;
  const done = db.prepare('SELECT count(*) FROM reindex_vectors r JOIN memories m ON m.seq = r.seq').pluck().get() as number;
  return { done, total };
}

export function storeReindexVectors(db: Database, rows: { seq: number; embedding: Float32Array }[]): void {
  const insert = db.prepare('INSERT OR REPLACE INTO reindex_vectors (seq, embedding) VALUES (?, ?)');
  for (const row of rows) insert.run(row.seq, vectorBlob(row.embedding));
}

/**
 * Swaps the new vectors in and binds the file to the new model. Returns false
 * (changing nothing) if a memory was added meanwhile and still lacks a vector.
 */
export function finishReindex(db: Database, modelId: string, dimension: number): boolean {
  if (pendingReindex(db, 1).length > 0) return false;
  db.exec('DROP TABLE memory_vectors');
  createVectorTable(db, dimension);
  db.prepare(
    `INSERT INTO memory_vectors (memory_seq, embedding, user_id, agent_id, run_id, valid_from, valid_to)
     SELECT m.seq, r.embedding, ifnull(m.user_id, ''), ifnull(m.agent_id, ''), ifnull(m.run_id, ''), m.valid_from, ifnull(m.valid_to, ?)
     FROM memories m JOIN reindex_vectors r ON r.seq = m.seq`,
  ).run(BigInt(OPEN_END));
  writeMeta(db, META_KEYS.embeddingModel, modelId);
  writeMeta(db, META_KEYS.embeddingDimension, String(dimension));
  db.exec('DROP TABLE reindex_vectors');
  db.prepare('DELETE FROM meta WHERE key = ?').run(PENDING_MODEL);
  bumpSearchEpoch(db);
  return true;
}

import type { Database } from './database.js';
import { bumpSearchEpoch, META_KEYS, readMeta, writeMeta } from './meta.js';
import { createVectorTable, vectorBlob, vectorEndSql } from './vectors.js';

const PENDING_MODEL = 'reindex_model';

/** A memory version waiting for its vector from the new model. Keyed by id and version (seqs are reused after deletes). */
export type PendingVersion = { id: string; version: number; hash: string; text: string };
/** An entity whose name waits for its vector from the new model. */
export type PendingEntity = { id: string; name: string };

/**
 * Re-embedding with another model happens beside the live index: new vectors
 * collect in `reindex_vectors` (committed batch by batch, so an interrupted
 * reindex resumes), keyed by memory id, version and text hash, and entity
 * names' new vectors beside each entity's (reindex_name, reindex_embedding);
 * one final transaction swaps them all in.
 */
export function startReindex(db: Database, modelId: string, dimension: number): void {
  const target = `${modelId}\u0000${dimension}`;
  if (readMeta(db, PENDING_MODEL) !== target) {
    db.exec('DELETE FROM reindex_vectors');
    db.exec('UPDATE entities SET reindex_name = NULL, reindex_embedding = NULL WHERE reindex_name IS NOT NULL');
    writeMeta(db, PENDING_MODEL, target);
  }
}

/** Memory versions that have no new vector for their text yet, oldest first. */
export function pendingReindex(db: Database, limit: number): PendingVersion[] {
  return db
    .prepare(
      `SELECT m.id, m.version, m.hash, m.text FROM memories m
       WHERE NOT EXISTS (SELECT 1 FROM reindex_vectors r WHERE r.memory_id = m.id AND r.version = m.version AND r.hash = m.hash)
       ORDER BY m.seq LIMIT ?`,
    )
    .all(limit) as PendingVersion[];
}

/** Entities whose name has no new vector yet, oldest first. */
export function pendingEntityReindex(db: Database, limit: number): PendingEntity[] {
  return db.prepare('SELECT id, name FROM entities WHERE reindex_name IS NOT name ORDER BY seq LIMIT ?').all(limit) as PendingEntity[];
}

/** Texts to re-embed (memory versions and entity names), and how many have their new vector. */
export function reindexCounts(db: Database): { done: number; total: number } {
  const total = db.prepare('SELECT (SELECT count(*) FROM memories) + (SELECT count(*) FROM entities)').pluck().get() as number;
  const done = db
    .prepare(
      `SELECT (SELECT count(*) FROM reindex_vectors r JOIN memories m ON m.id = r.memory_id AND m.version = r.version AND m.hash = r.hash)
            + (SELECT count(*) FROM entities WHERE reindex_name = name)`,
    )
    .pluck()
    .get() as number;
  return { done, total };
}

/** Stores new vectors, each only if its version still holds the text it was computed from. */
export function storeReindexVectors(db: Database, rows: readonly { version: PendingVersion; embedding: Float32Array }[]): void {
  const insert = db.prepare(
    `INSERT OR REPLACE INTO reindex_vectors (memory_id, version, hash, embedding)
     SELECT id, version, hash, ? FROM memories WHERE id = ? AND version = ? AND hash = ?`,
  );
  for (const { version, embedding } of rows) insert.run(vectorBlob(embedding), version.id, version.version, version.hash);
}

/** Stores new vectors of entity names, each only if its entity still has the name it was computed from. */
export function storeEntityReindexVectors(db: Database, rows: readonly { entity: PendingEntity; embedding: Float32Array }[]): void {
  const update = db.prepare('UPDATE entities SET reindex_name = name, reindex_embedding = ? WHERE id = ? AND name = ?');
  for (const { entity, embedding } of rows) update.run(vectorBlob(embedding), entity.id, entity.name);
}

/**
 * Swaps the new vectors in and binds the file to the new model. Returns false
 * (changing nothing) if a memory version or an entity name still lacks a vector.
 */
export function finishReindex(db: Database, modelId: string, dimension: number): boolean {
  if (pendingReindex(db, 1).length > 0 || pendingEntityReindex(db, 1).length > 0) return false;
  db.exec('DROP TABLE memory_vectors');
  createVectorTable(db, dimension);
  db.prepare(
    `INSERT INTO memory_vectors (memory_seq, embedding, user_id, agent_id, run_id, valid_from, valid_to)
     SELECT m.seq, r.embedding, ifnull(m.user_id, ''), ifnull(m.agent_id, ''), ifnull(m.run_id, ''), m.valid_from, ${vectorEndSql('m')}
     FROM memories m JOIN reindex_vectors r ON r.memory_id = m.id AND r.version = m.version AND r.hash = m.hash`,
  ).run();
  db.exec('UPDATE entities SET embedding = reindex_embedding, reindex_name = NULL, reindex_embedding = NULL');
  writeMeta(db, META_KEYS.embeddingModel, modelId);
  writeMeta(db, META_KEYS.embeddingDimension, String(dimension));
  db.exec('DELETE FROM reindex_vectors');
  db.prepare('DELETE FROM meta WHERE key = ?').run(PENDING_MODEL);
  bumpSearchEpoch(db);
  return true;
}

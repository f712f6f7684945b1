import { EngramError } from '../errors.js';
import { MAX_TIME } from '../time.js';
import type { Database } from './database.js';
import type { ScopeColumns } from './scope-sql.js';
import { META_KEYS, readMeta, writeMeta } from './meta.js';

/** vec0 metadata columns cannot hold NULL: the end of an open validity interval is the latest storable instant. */
export const OPEN_END = MAX_TIME;

export type VectorHit = { seq: number; distance: number };

/**
 * Binds the database to an embedding model. The first model creates the vector
 * table with its dimension; any other model later is refused, because vectors
 * of two models cannot be compared.
 */
export function bindEmbeddingModel(db: Database, modelId: string, dimension: number): void {
  const bind = db.transaction(() => {
    const boundId = readMeta(db, META_KEYS.embeddingModel);
    const boundDimension = Number(readMeta(db, META_KEYS.embeddingDimension) ?? 0);
    if (boundId === undefined) {
      createVectorTable(db, dimension);
      writeMeta(db, META_KEYS.embeddingModel, modelId);
      writeMeta(db, META_KEYS.embeddingDimension, String(dimension));
      return;
    }
    if (boundId !== modelId || boundDimension !== dimension) {
      throw new EngramError(
        'EMBEDDING_MISMATCH',
        `this database was built with the embedding model "${boundId}" (${boundDimension} dimensions), ` +
          `not "${modelId}" (${dimension}); open it with that model, or re-embed it with \`engram reindex\``,
        { details: { boundModel: boundId, boundDimension, model: modelId, dimension } },
      );
    }
  });
  bind.immediate();
}

/**
 * The vec0 index: cosine distance; the user as partition key; agent, run and
 * validity as metadata columns KNN can filter on. vec0 allocates storage a
 * chunk at a time per partition: 256 rows instead of the default 1,024 keep a
 * user with a handful of memories at 0.4 MiB instead of 1.5 (measured: 100
 * users × 200 memories + one of 10,000 take 56 MiB instead of 172, with the
 * same KNN speed).
 */
export function createVectorTable(db: Database, dimension: number): void {
  db.exec(`
    CREATE VIRTUAL TABLE memory_vectors USING vec0(
      memory_seq INTEGER PRIMARY KEY,
      embedding FLOAT[${Math.trunc(dimension)}] distance_metric=cosine,
      user_id TEXT PARTITION KEY,
      agent_id TEXT,
      run_id TEXT,
      valid_from INTEGER,
      valid_to INTEGER,
      chunk_size=256
    )`);
}

/**
 * The end a vector's `valid_to` holds: the earlier of its row's validTo and
 * expiresAt (either NULL: open), so KNN filters expiry with validity.
 */
export function vectorEnd(validTo: number | null, expiresAt: number | null): number {
  return Math.min(validTo ?? OPEN_END, expiresAt ?? OPEN_END);
}

/** vectorEnd in SQL, for a row of `memories` named `table`. */
export function vectorEndSql(table: string): string {
  return `min(ifnull(${table}.valid_to, ${OPEN_END}), ifnull(${table}.expires_at, ${OPEN_END}))`;
}

export function insertVector(db: Database, seq: number, embedding: Float32Array, scope: ScopeColumns, validFrom: number, expiresAt: number | null): void {
  db.prepare(
    `INSERT INTO memory_vectors (memory_seq, embedding, user_id, agent_id, run_id, valid_from, valid_to)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  ).run(BigInt(seq), vectorBlob(embedding), scope.user_id ?? '', scope.agent_id ?? '', scope.run_id ?? '', BigInt(validFrom), BigInt(vectorEnd(null, expiresAt)));
}

/** The stored embedding of a version (used when a new version keeps the text). */
export function vectorOf(db: Database, seq: number): Float32Array | undefined {
  const row = db.prepare('SELECT embedding FROM memory_vectors WHERE memory_seq = ?').get(BigInt(seq)) as { embedding: Buffer } | undefined;
  if (!row) return undefined;
  return new Float32Array(row.embedding.buffer.slice(row.embedding.byteOffset, row.embedding.byteOffset + row.embedding.byteLength));
}

export function closeVector(db: Database, seq: number, validTo: number, expiresAt: number | null): void {
  db.prepare('UPDATE memory_vectors SET valid_to = ? WHERE memory_seq = ?').run(BigInt(vectorEnd(validTo, expiresAt)), BigInt(seq));
}

export function deleteVectors(db: Database, seqs: readonly number[]): void {
  const remove = db.prepare('DELETE FROM memory_vectors WHERE memory_seq = ?');
  for (const seq of seqs) remove.run(BigInt(seq));
}

export type VectorQuery = {
  scope: ScopeColumns;
  /** Match absent scope fields as absent (the scope exactly), instead of leaving them unconstrained. */
  exactScope?: boolean;
  /** Versions valid at this instant (ms); current versions when undefined. */
  at?: number | undefined;
};

/**
 * The k nearest vectors inside a scope. The scope and the validity are applied
 * inside the KNN (partition key and metadata columns), so other users' vectors
 * are never candidates and never crowd out this scope's results.
 */
export function nearestVectors(db: Database, query: Float32Array, k: number, options: VectorQuery): VectorHit[] {
  const where = ['embedding MATCH ?', 'k = ?'];
  const params: unknown[] = [vectorBlob(query), BigInt(k)];
  if (options.at === undefined) {
    // Current and not expired: open rows end at OPEN_END, expiring ones at their expiry (see vectorEnd).
    where.push('valid_to > ?');
    params.push(BigInt(Date.now()));
  } else {
    where.push('valid_from <= ?', 'valid_to > ?');
    params.push(BigInt(Math.trunc(options.at)), BigInt(Math.trunc(options.at)));
  }
  for (const column of ['user_id', 'agent_id', 'run_id'] as const) {
    const value = options.scope[column] ?? (options.exactScope ? '' : undefined);
    if (value !== undefined) {
      where.push(`${column} = ?`);
      params.push(value);
    }
  }
  const rows = db
    .prepare(`SELECT memory_seq AS seq, distance FROM memory_vectors WHERE ${where.join(' AND ')} ORDER BY distance`)
    .all(...params) as { seq: number; distance: number | null }[];
  // A zero vector has no direction: sqlite-vec gives it a NULL distance; treat it as unrelated.
  return rows.map((row) => ({ seq: row.seq, distance: row.distance ?? 1 }));
}

export function vectorBlob(embedding: Float32Array): Buffer {
  return Buffer.from(embedding.buffer, embedding.byteOffset, embedding.byteLength);
}

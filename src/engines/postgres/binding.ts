import { EngramError } from '../../errors.js';
import { META_KEYS, SCHEMA_LOCK_SQL, writeMeta } from './migrations.js';
import type { SqlClient, SqlQueryable } from './sql-client.js';

export type EmbeddingBinding = { id: string; dimension: number };

/** pgvector's HNSW indexes `vector` columns of at most this many dimensions; wider ones are searched exactly. */
export const HNSW_MAX_DIMENSION = 2000;
/** pgvector's `vector` type holds at most this many dimensions. */
const VECTOR_MAX_DIMENSION = 16000;

/** The model the database's vectors were made with, if one was bound. */
export async function readBinding(sql: SqlQueryable): Promise<EmbeddingBinding | undefined> {
  const rows = await sql.query<{ key: string; value: string }>('SELECT key, value FROM engram_meta WHERE key IN ($1, $2)', [
    META_KEYS.embeddingModel,
    META_KEYS.embeddingDimension,
  ]);
  const get = (key: string) => rows.find((row) => row.key === key)?.value;
  const id = get(META_KEYS.embeddingModel);
  return id === undefined ? undefined : { id, dimension: Number(get(META_KEYS.embeddingDimension)) };
}

/**
 * Binds the database to an embedding model. The first model creates the
 * vector columns (memories, entities) with its dimension and the HNSW index on current versions;
 * any other model later is refused, because vectors of two models cannot be
 * compared. Runs under the schema lock, so two first binders take turns.
 */
export async function bindEmbeddingModel(client: SqlClient, modelId: string, dimension: number): Promise<void> {
  if (!Number.isInteger(dimension) || dimension < 1 || dimension > VECTOR_MAX_DIMENSION) {
    throw new EngramError('INVALID_INPUT', `an embedding dimension must be an integer from 1 to ${VECTOR_MAX_DIMENSION}, not ${dimension}`);
  }
  await client.transaction({ isolation: 'read committed', readOnly: false }, async (sql) => {
    await sql.query(SCHEMA_LOCK_SQL);
    const bound = await readBinding(sql);
    if (bound === undefined) {
      // `dimension` is a checked integer: the one value spliced into DDL (a type modifier cannot be a parameter).
      await sql.exec(`ALTER TABLE memories ADD COLUMN IF NOT EXISTS embedding vector(${dimension})`);
      // Entity names are embedded with the same model (matched by cosine in the pipeline, never through an index).
      await sql.exec(`ALTER TABLE entities ADD COLUMN IF NOT EXISTS embedding vector(${dimension})`);
      if (dimension <= HNSW_MAX_DIMENSION) {
        // Only current versions: what almost every search reads. Point-in-time searches scan exactly.
        await sql.exec(
          'CREATE INDEX IF NOT EXISTS memories_embedding_hnsw ON memories USING hnsw (embedding vector_cosine_ops) WHERE valid_to IS NULL',
        );
      }
      await writeMeta(sql, META_KEYS.embeddingModel, modelId);
      await writeMeta(sql, META_KEYS.embeddingDimension, String(dimension));
      return;
    }
    if (bound.id !== modelId || bound.dimension !== dimension) {
      throw new EngramError(
        'EMBEDDING_MISMATCH',
        `this database was built with the embedding model "${bound.id}" (${bound.dimension} dimensions), ` +
          `not "${modelId}" (${dimension}); open it with that model, or re-embed it with \`engram reindex\``,
        { details: { boundModel: bound.id, boundDimension: bound.dimension, model: modelId, dimension } },
      );
    }
  });
}

/** Throws EMBEDDING_MISMATCH when another connection switched the database to another model since this one bound it. */
export async function assertStillBound(sql: SqlQueryable, binding: EmbeddingBinding | undefined): Promise<void> {
  if (!binding) return;
  const bound = await readBinding(sql);
  if (bound?.id === binding.id && bound.dimension === binding.dimension) return;
  throw new EngramError(
    'EMBEDDING_MISMATCH',
    `this database was switched to the embedding model "${bound?.id}" (${bound?.dimension} dimensions), probably by \`engram reindex\`, ` +
      `while this process still uses "${binding.id}" (${binding.dimension}); reopen it with the new model`,
    { details: { boundModel: bound?.id, boundDimension: bound?.dimension, model: binding.id, dimension: binding.dimension } },
  );
}

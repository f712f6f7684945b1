import { z } from 'zod';
import { EmbedderOptionSchema } from './embed/create-embedder.js';
import { LlmOptionSchema } from './llm/create-llm.js';
import { RerankerOptionSchema } from './rerank/create-reranker.js';
import type { Storage } from './storage/storage.js';
export { isPostgresUrl } from './database-url.js';

const PATH_ERROR = 'path must be a file path, ":memory:" or a postgres:// URL';

/** A SQLite file, ':memory:' or a postgres:// URL. */
export const PathSchema = z.string({ error: PATH_ERROR }).min(1, { error: PATH_ERROR });


function isStorage(value: unknown): value is Storage {
  return typeof value === 'object' && value !== null && ['transaction', 'searchCandidates', 'bindEmbeddingModel', 'close'].every((m) => typeof (value as Record<string, unknown>)[m] === 'function');
}

/** The options of `Memory.open`, with their defaults. */
export const DEFAULT_LLM = { model: 'models/llm.gguf' };

export const MemoryOptionsSchema = z.strictObject({
  /**
   * Where memories live: a SQLite file to open or create, ':memory:' for a
   * throwaway store, or a PostgreSQL server as postgres://user:password@host:port/database
   * (with pgvector). Give `path` or `storage`, not both.
   */
  path: PathSchema.optional(),
  /**
   * Your own storage engine instance instead of `path`, e.g.
   * `await PostgresStorage.open({ pglite })` for an in-process PGlite. The
   * Memory uses it and leaves it open when it closes.
   */
  storage: z.custom<Storage>(isStorage, { error: 'storage must be a Storage (PostgresStorage.open, …)' }).optional(),
  /**
   * The embedding model: a local transformers.js model folder, an
   * OpenAI-compatible server on this machine (`{ openaiCompatible: { baseUrl,
   * model } }`, see OpenAiCompatibleEmbedder; asked for its dimension at open),
   * or your own Embedder.
   * @default { model: 'models/embedding' }
   */
  embedder: EmbedderOptionSchema.default({ model: 'models/embedding' }),
  /**
   * The LLM for `add` with `infer: true`: a local GGUF file, an
   * OpenAI-compatible server on this machine (`{ openaiCompatible: { baseUrl,
   * model } }`, see OpenAiCompatibleLlm), your own Llm, or null for none. Loaded on the first inferring add, never at open.
   * @default { model: 'models/llm.gguf' }
   */
  llm: LlmOptionSchema.optional(),
  /**
   * A cross-encoder for `search({ rerank: true })`: a local transformers.js
   * cross-encoder folder, or your own Reranker. Loaded on first use.
   */
  reranker: RerankerOptionSchema.optional(),
  /**
   * Create the file (and its folder) when it does not exist. With false, a
   * missing file is FILE_NOT_FOUND and nothing is created: for tools that
   * only read, where a mistyped path must not leave an empty database behind.
   * @default true
   */
  create: z.boolean().default(true),
  /**
   * How long a write waits for another process's lock before failing with DB_LOCKED.
   * @default 5000
   */
  busyTimeoutMs: z.number().int().min(0).max(600_000).default(5_000),
  /**
   * Encrypts the database file at rest (SQLCipher v4 format); the same key
   * opens it again, a wrong one fails with ENCRYPTION_KEY_INVALID. The CLI and
   * servers read it from ENGRAM_KEY. Keep the key safe: without it the
   * memories cannot be recovered.
   */
  encryptionKey: z
    .string()
    .min(8, { error: 'encryptionKey must have at least 8 characters' })
    .max(1024)
    // SQLite reads the key as a C string: a NUL would silently cut it short.
    .refine((key) => !key.includes('\u0000'), { error: 'encryptionKey must not contain a NUL character' })
    .optional(),
  /**
   * Memory (MiB) the in-memory search indexes may hold, all scopes together:
   * a searched scope keeps its postings and vectors in memory (about 1.6 KB
   * per memory with 384-dimensional vectors, 8 bytes per distinct word of each
   * memory, about 80 bytes per distinct word of the scope, and about 4 KB per
   * scope); least recently searched scopes are dropped first and rebuilt when
   * searched again. Only the scope being searched may exceed the budget.
   * @default 512
   */
  searchIndexMiB: z.number().min(0).max(1_048_576).default(512),
  /**
   * Keep an entity graph beside the memories: the entities they name (people,
   * places, organisations, things, the user) and the relations between them,
   * with when each was true and when Engram learned and retired it. An
   * inferring add asks for relations in its one LLM call; an add without
   * inference links the names its text holds (and who said it). Search then
   * weighs memories naming the query's entities (and their neighbours up to
   * `searchDepth` relations away) higher, by `searchWeight`, and returns the
   * relations around them. `true` is `{ searchWeight: 0.1, searchDepth: 1 }`.
   * See `memory.graph`.
   * @default false
   */
  graph: z
    .union([
      z.boolean(),
      z.strictObject({
        searchWeight: z.number().min(0).max(10).default(0.1),
        searchDepth: z.number().int().min(0).max(4).default(1),
      }),
    ])
    .default(false),
  /**
   * The extraction queue (adds with `wait: false`, see add). A Memory with an
   * LLM works the store's queue in the background unless `worker` is false
   * (then only the adds it waits for; servers may leave the rest to
   * `engram worker`).
   */
  queue: z
    .strictObject({
      /** Work queued adds in the background. @default true */
      worker: z.boolean().default(true),
      /** Scopes worked at once. @default 1 (the LLM is the bottleneck) */
      concurrency: z.number().int().min(1).max(64).default(1),
      /** A worker that stops renewing its lease (killed) loses the job after this long. @default 60000 */
      leaseMs: z.number().int().min(100).max(3_600_000).default(60_000),
      /** How often an idle worker looks for jobs queued by other processes. @default 1000 */
      pollMs: z.number().int().min(10).max(600_000).default(1_000),
      /** Attempts of a job before it is failed. @default 4 */
      maxAttempts: z.number().int().min(1).max(1_000).default(4),
      /** Wait after the first failed attempt, doubled after each next one. @default 2000 */
      retryDelayMs: z.number().int().min(0).max(3_600_000).default(2_000),
      /** Messages one LLM call handles at most (queued adds of one scope together); 1 turns batching off. @default 20 */
      batchMessages: z.number().int().min(1).max(200).default(20),
      /** How long done and cancelled adds (and their results) stay readable with job(); a background worker removes older ones. Failed ones stay. @default 604800000 (7 days) */
      keepFinishedMs: z.number().int().min(0).max(3_650 * 86_400_000).default(7 * 86_400_000),
    })
    .default({ worker: true, concurrency: 1, leaseMs: 60_000, pollMs: 1_000, maxAttempts: 4, retryDelayMs: 2_000, batchMessages: 20, keepFinishedMs: 7 * 86_400_000 }),
}).superRefine((options, context) => {
  if (options.path === undefined && options.storage === undefined) context.addIssue({ code: 'custom', path: ['path'], message: PATH_ERROR });
  if (options.path !== undefined && options.storage !== undefined) context.addIssue({ code: 'custom', path: ['storage'], message: 'give path or storage, not both' });
});
export type MemoryOptions = z.input<typeof MemoryOptionsSchema>;

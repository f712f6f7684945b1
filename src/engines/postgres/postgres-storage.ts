import { AsyncLocalStorage } from 'node:async_hooks';
import { EngramError } from '../../errors.js';
import { EXPORT_FORMAT_VERSION, type ExportRecord } from '../../export-format.js';
import type { Scope } from '../../schema.js';
import type { CandidateQuery, Candidates, Storage, StorageTransaction, TransactionMode } from '../../storage/storage.js';
import { assertStillBound, bindEmbeddingModel, type EmbeddingBinding, HNSW_MAX_DIMENSION, readBinding } from './binding.js';
import { isRetryable, toEngramError } from './errors.js';
import { migrate } from './migrations.js';
import { exportEntityPage, exportMemoryPage, exportMessagePage, exportRelationPage } from './portable.js';
import { searchCandidates, type VectorFeatures } from './search.js';
import { type PGliteLike, pgliteClient, poolClient, type PoolOptions, type SqlClient, type SqlQueryable, type TransactionSpec } from './sql-client.js';
import { PostgresTransaction } from './transaction.js';
import { verifyInvariants } from './verify.js';

export type PostgresStorageOptions = (
  /** A server: postgres://user:password@host:port/database (pg's URL syntax, sslmode included). */
  | ({ url: string } & PoolOptions)
  /** An in-process PGlite with the pgvector extension loaded; the caller keeps and closes it. */
  | { pglite: PGliteLike }
) & {
  /** How long a write that keeps losing races to other writers is re-run before DB_LOCKED (default 5000). */
  busyTimeoutMs?: number | undefined;
};

/**
 * A transaction that lost a race (serialization failure, deadlock, a
 * duplicate committed meanwhile) is re-run, with growing random pauses, for up
 * to `busyTimeoutMs` (as SQLite waits for its lock). Five quick attempts were
 * not enough on a real server: two processes × 4 writers on three scopes ran
 * out of them about once in nine runs.
 */
const FIRST_PAUSE_MS = 5;
const MAX_PAUSE_MS = 250;

/**
 * 'read': one snapshot for the whole read. 'write': REPEATABLE READ too, so a
 * concurrent change to a row this transaction updates is a serialization
 * failure (re-run) instead of a silent lost update; the unique indexes keep
 * inserts honest across app servers (see isRetryable).
 */
const SPECS: Record<TransactionMode, TransactionSpec> = {
  read: { isolation: 'repeatable read', readOnly: true },
  write: { isolation: 'repeatable read', readOnly: false },
};

/**
 * The storage port on PostgreSQL + pgvector: a server through a `pg.Pool`,
 * or an in-process PGlite. Every transaction is a real PostgreSQL
 * transaction on one connection; several app servers may share the database.
 */
export class PostgresStorage implements Storage {
  readonly engine = 'postgres' as const;
  /** The model this connection writes and searches with (see bindEmbeddingModel). */
  private binding: EmbeddingBinding | undefined;
  private closed = false;
  /** Set while a transaction's work runs: a call back into the storage from there would wait forever for the connection the work holds (PGlite) or drain the pool. */
  private readonly insideWork = new AsyncLocalStorage<true>();

  private constructor(
    private readonly client: SqlClient,
    private features: VectorFeatures,
    /** How long a write that keeps losing races is re-run before DB_LOCKED. */
    private readonly busyTimeoutMs: number,
  ) {}

  /** Connects and brings the schema up to date (two processes opening at once take turns). */
  static async open(options: PostgresStorageOptions): Promise<PostgresStorage> {
    const client = 'pglite' in options ? pgliteClient(options.pglite) : await poolClient(options.url, options);
    try {
      await migrate(client);
      const storage = new PostgresStorage(client, { hnsw: false, iterativeScan: false }, options.busyTimeoutMs ?? 5_000);
      await storage.readFeatures();
      await analyzeWhenStale(client);
      return storage;
    } catch (error) {
      await client.close().catch(() => {});
      throw toEngramError(error, 'opening the database', client.where);
    }
  }

  /** pgvector's version (iterative index scans since 0.8) and whether the HNSW index exists. */
  private async readFeatures(): Promise<void> {
    const [row] = await this.client.query<{ version: string | null; hnsw: boolean }>(
      `SELECT (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS version,
              EXISTS (SELECT 1 FROM pg_indexes WHERE tablename = 'memories' AND indexname = 'memories_embedding_hnsw') AS hnsw`,
    );
    const [major = 0, minor = 0] = (row?.version ?? '0.0').split('.').map(Number);
    this.features = { hnsw: row?.hnsw === true, iterativeScan: major > 0 || minor >= 8 };
  }

  /** Memory versions this connection inserted since it last analyzed (or found no need to). */
  private insertedSinceAnalyze = 0;

  /**
   * Without statistics PostgreSQL's planner ignores the HNSW and full-text
   * indexes and sorts every row of the scope (measured at 100k on PGlite:
   * vector search 187 ms p50 before ANALYZE, 10 ms after). A server's
   * autovacuum analyzes eventually; PGlite never does, and an import of many
   * memories should be searchable at full speed at once. So at open, and
   * after every 1,000 versions this connection inserts, `memories` is
   * analyzed if it never was or grew by a tenth. Failures never fail a write.
   */
  private async keepStatisticsFresh(inserted: number): Promise<void> {
    this.insertedSinceAnalyze += inserted;
    if (this.insertedSinceAnalyze < 1_000 || this.insertedSinceAnalyze % 1_000 >= inserted) return;
    if (await analyzeWhenStale(this.client, this.insertedSinceAnalyze)) this.insertedSinceAnalyze = 0;
  }

  /**
   * Runs `work` in one transaction on one connection. A write that lost a
   * race is rolled back and re-run (for up to busyTimeoutMs), so `work` must not
   * have effects outside the transaction. A database error that `work`
   * caught still rolls the transaction back: PostgreSQL has aborted it.
   */
  async transaction<T>(mode: TransactionMode, doing: string, work: (tx: StorageTransaction) => Promise<T>): Promise<T> {
    this.assertOpen();
    const giveUpAt = Date.now() + this.busyTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      const tracked = new TrackedQueries();
      try {
        let inserted = 0;
        const result = await this.client.transaction(SPECS[mode], async (sql) => {
          tracked.inner = sql;
          if (mode === 'write') await assertStillBound(tracked, this.binding);
          const tx = new PostgresTransaction(tracked, (q) => assertStillBound(q, this.binding));
          const result = await this.insideWork.run(true, () => work(tx));
          if (tracked.failure !== undefined) throw tracked.failure;
          inserted = tx.inserted;
          return result;
        });
        if (inserted > 0) await this.keepStatisticsFresh(inserted);
        return result;
      } catch (error) {
        const cause = tracked.failure ?? error;
        if (isRetryable(cause) && Date.now() < giveUpAt) {
          // Exponential backoff with full jitter: racing writers spread out instead of colliding again.
          await sleep(Math.random() * Math.min(MAX_PAUSE_MS, FIRST_PAUSE_MS * 2 ** attempt));
          continue;
        }
        // Work's own EngramErrors (NOT_FOUND, INVALID_INPUT, …) pass through unless the database failed first.
        throw toEngramError(error instanceof EngramError && tracked.failure === undefined ? error : cause, doing, this.client.where);
      }
    }
  }

  async searchCandidates(query: CandidateQuery): Promise<Candidates> {
    this.assertOpen();
    try {
      return await this.client.transaction(SPECS.read, async (sql) => {
        if (query.vector) await assertStillBound(sql, this.binding);
        return searchCandidates(sql, query, this.features);
      });
    } catch (error) {
      throw toEngramError(error, 'searching', this.client.where);
    }
  }

  async bindEmbeddingModel(modelId: string, dimension: number): Promise<void> {
    this.assertOpen();
    try {
      await bindEmbeddingModel(this.client, modelId, dimension);
    } catch (error) {
      throw toEngramError(error, 'binding the embedding model', this.client.where);
    }
    this.binding = { id: modelId, dimension };
    this.features = { ...this.features, hnsw: dimension <= HNSW_MAX_DIMENSION };
  }

  async embeddingModel(): Promise<{ id: string; dimension: number } | undefined> {
    this.assertOpen();
    try {
      return await readBinding(this.client);
    } catch (error) {
      throw toEngramError(error, 'reading the embedding model', this.client.where);
    }
  }

  async verify(): Promise<string[]> {
    this.assertOpen();
    return verifyInvariants(this.client);
  }

  /**
   * Every record in Engram's portable format, in the SQLite engine's order:
   * header, messages, memories, entities, relations (the queued adds are Memory.export's).
   * Read page by page (each page one read transaction): the export never
   * holds a transaction open while its consumer works, and each memory is
   * read whole with its history. Changes made during an export may or may
   * not appear, page by page.
   */
  async *exportRecords(): AsyncGenerator<ExportRecord> {
    this.assertOpen();
    const read = <T>(work: (sql: SqlQueryable) => Promise<T>) =>
      this.client.transaction(SPECS.read, work).catch((error: unknown) => {
        throw toEngramError(error, 'exporting', this.client.where);
      });
    const model = await this.embeddingModel();
    yield { type: 'engram', format: EXPORT_FORMAT_VERSION, exportedAt: new Date().toISOString(), ...(model ? { embeddingModel: model.id } : {}) };
    for (let after = 0; ; ) {
      const page = await read((sql) => exportMessagePage(sql, after));
      if (page.length === 0) break;
      yield* page;
      after = (page.at(-1) as { id: number }).id;
    }
    // Then each memory whole, then the entity graph (entities before the relations that link them).
    const pagesInOrder: ((sql: SqlQueryable, afterSeq: number) => Promise<{ records: ExportRecord[]; lastSeq: number | undefined }>)[] = [
      exportMemoryPage,
      exportEntityPage,
      exportRelationPage,
    ];
    for (const exportPage of pagesInOrder) {
      for (let after = 0; ; ) {
        const page = await read((sql) => exportPage(sql, after));
        if (page.lastSeq === undefined) break;
        yield* page.records;
        after = page.lastSeq;
      }
    }
  }

  /** Ends the pool this storage opened; a PGlite passed in stays open (its owner closes it). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new EngramError('CLOSED', 'this storage was closed');
    if (this.insideWork.getStore()) throw new Error('a storage call from inside a transaction\'s work would wait for itself: use the transaction it was given');
  }
}

/**
 * The transaction's queries, remembering the first that failed: after a
 * failure PostgreSQL has aborted the transaction, so it must roll back (and
 * may be re-run) even if `work` caught the error.
 */
class TrackedQueries implements SqlQueryable {
  inner: SqlQueryable | undefined;
  failure: unknown;

  async query<R>(sql: string, params?: readonly unknown[]): Promise<R[]> {
    try {
      return await (this.inner as SqlQueryable).query<R>(sql, params);
    } catch (error) {
      this.failure ??= error;
      throw error;
    }
  }

  async exec(sql: string): Promise<void> {
    try {
      await (this.inner as SqlQueryable).exec(sql);
    } catch (error) {
      this.failure ??= error;
      throw error;
    }
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * ANALYZE memories when it never was (and holds rows), or when `inserted`
 * versions are a tenth of what the last analysis counted. pg_class.reltuples
 * is what the planner itself reads; the cumulative statistics views would
 * lag behind a burst of writes.
 */
async function analyzeWhenStale(client: SqlClient, inserted = 0): Promise<boolean> {
  try {
    const [table] = await client.query<{ tuples: number | string; any: boolean }>(
      `SELECT c.reltuples AS tuples, EXISTS (SELECT 1 FROM memories) AS any FROM pg_class c WHERE c.oid = 'memories'::regclass`,
    );
    if (!table?.any) return false;
    const tuples = Number(table.tuples);
    if (tuples >= 0 && inserted < Math.max(500, tuples / 10)) return false;
    await client.query('ANALYZE memories');
    return true;
  } catch {
    // Statistics are an optimization: a store without them still answers, only slower.
    return false;
  }
}
